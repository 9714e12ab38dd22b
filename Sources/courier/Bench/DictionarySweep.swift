import CourierCompression
import CourierDatasets

/// Bytes and encode CPU of per-message deflate by dictionary size, on one dataset. The
/// sizes are timed round-robin in one process (fastest round each), so that load from
/// other work on shared cores falls on all of them alike.
struct DictionarySweep {
    struct Row {
        var size: Int
        var bytes: Int
        var encodeMicroseconds: Double
    }

    static let sizes = [0, 2_048, 4_096, 8_192, 16_384, 32_768]

    let kind: DatasetKind
    let rows: [Row]

    init(kind: DatasetKind, count: Int, seed: UInt64, configuration: DeflateConfiguration, rounds: Int = 7) throws {
        self.kind = kind
        let messages = kind.generate(count: count, seed: seed)
        let split = max(1, count / 5)
        let training = messages.prefix(split).map(\.bytes)
        let test = messages.dropFirst(split).prefix(4_000).map(\.bytes)
        let compressor = try MessageCompressor(configuration: configuration)
        let dictionaries: [CompressionDictionary?] = try Self.sizes.map { size in
            size == 0 ? nil : try DictionaryTrainer(dictionarySize: size).train(samples: training, id: 1, version: 1)
        }
        var bytes = [Int](repeating: 0, count: Self.sizes.count)
        for (index, dictionary) in dictionaries.enumerated() {
            for value in test { bytes[index] += try compressor.compress(value, dictionary: dictionary)?.count ?? value.count }
        }
        var fastest = [Double](repeating: .infinity, count: Self.sizes.count)
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            for (index, dictionary) in dictionaries.enumerated() {
                let start = clock.now
                for value in test {
                    _ = try value.withUnsafeBytes { input in
                        try scratch.withUnsafeMutableBytes { try compressor.compress(input, dictionary: dictionary, into: $0) }
                    }
                }
                let seconds = CompressionTiming.seconds(start.duration(to: clock.now))
                fastest[index] = min(fastest[index], seconds * 1_000_000 / Double(max(test.count, 1)))
            }
        }
        rows = Self.sizes.indices.map { Row(size: Self.sizes[$0], bytes: bytes[$0], encodeMicroseconds: fastest[$0]) }
    }
}
