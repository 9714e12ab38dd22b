import ArgumentParser
import CourierCompression
import Foundation

/// `courier dict train`: a dictionary from sample messages, written in the dictionary file format.
struct DictTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a preset dictionary (zstd COVER, simplified) from sample messages."
    )

    @Option(help: "A file with one message per line, or a folder with one message per file.") var input: String
    @Option(help: "The dictionary file to write.") var output: String
    @Option(help: "Largest dictionary in bytes (at most 32768).") var size = DictionaryTrainer().dictionarySize
    @Option(help: "Dictionary id (agreed in the handshake).") var id: UInt32 = 1
    @Option(help: "Dictionary version.") var version: UInt32 = 1
    @Option(help: "Segment length in bytes (COVER's k).") var segment = DictionaryTrainer().segmentSize
    @Option(help: "d-mer length in bytes, 4 to 8 (COVER's d).") var dmer = DictionaryTrainer().dmerSize

    func validate() throws {
        guard (1...CompressionDictionary.maximumSize).contains(size) else { throw ValidationError("--size must be in 1...\(CompressionDictionary.maximumSize)") }
        guard (4...8).contains(dmer) else { throw ValidationError("--dmer must be in 4...8") }
        guard segment >= dmer else { throw ValidationError("--segment must be at least --dmer") }
    }

    func run() throws {
        let samples = try SampleReader.read(input)
        guard !samples.isEmpty else { throw ValidationError("no samples in \(input)") }
        let trainer = DictionaryTrainer(dictionarySize: size, segmentSize: segment, dmerSize: dmer)
        let dictionary = try trainer.train(samples: samples, id: id, version: version)
        try Data(dictionary.encoded()).write(to: URL(fileURLWithPath: output))
        let total = samples.reduce(0) { $0 + $1.count }
        print("trained dictionary id \(id) version \(version): \(dictionary.bytes.count) bytes from \(samples.count) samples (\(total) bytes), crc32 \(DictInspectCommand.hex(dictionary.checksum)) -> \(output)")
    }
}
