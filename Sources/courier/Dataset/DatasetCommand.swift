import ArgumentParser
import CourierDatasets
import Foundation

/// `courier dataset generate`: deterministic message streams, one message per line.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Generate the deterministic message streams the compression benchmark uses.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write COUNT messages of a kind, one per line.")

        @Option(help: "ticker, sensor or document.") var kind: DatasetKind
        @Option(help: "Number of messages.") var count = 10_000
        @Option(help: "Seed (the same seed gives the same bytes).") var seed: UInt64 = DatasetGenerator.defaultSeed
        @Option(help: "File to write; standard output when omitted.") var output: String?

        func run() throws {
            var generator = DatasetGenerator(kind: kind, seed: seed)
            var bytes: [UInt8] = []
            for _ in 0..<max(count, 0) {
                bytes += generator.next().bytes
                bytes.append(UInt8(ascii: "\n"))
            }
            if let output {
                try Data(bytes).write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }
}

extension DatasetKind: ExpressibleByArgument {}
