/// The generated message streams `courier dataset generate` and `courier bench
/// compression` use. Each is deterministic for a seed.
public enum DatasetKind: String, CaseIterable, Sendable {
    /// Market data for 100 symbols: quote updates (bid or ask moves) and trades (price,
    /// size, cumulative volume), timestamps in milliseconds. Key: the symbol.
    case ticker
    /// IoT readings from 400 devices: temperature, humidity, battery, signal strength,
    /// timestamps in milliseconds. Key: the device id.
    case sensor
    /// Collaborative-editing operations on 20 documents: inserts and deletes at
    /// positions, by users, with revision numbers and text. Key: the document id.
    case document

    /// The first messages of the stream for `seed`.
    public func generate(count: Int, seed: UInt64 = DatasetGenerator.defaultSeed) -> [DatasetMessage] {
        var generator = DatasetGenerator(kind: self, seed: seed)
        return (0..<max(count, 0)).map { _ in generator.next() }
    }
}
