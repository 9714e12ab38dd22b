import ArgumentParser

/// `courier dict train|inspect`: preset dictionaries for per-message deflate.
struct DictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dict",
        abstract: "Train and inspect preset dictionaries for per-message deflate.",
        subcommands: [DictTrainCommand.self, DictInspectCommand.self]
    )
}
