import ArgumentParser

@main
struct CourierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "courier",
        abstract: "Courier: real-time messaging over WebSocket with a compact binary protocol.",
        subcommands: [ServeCommand.self, TokenCommand.self, InspectCommand.self, BenchCommand.self, ChaosCommand.self, DictCommand.self, DatasetCommand.self]
    )
}
