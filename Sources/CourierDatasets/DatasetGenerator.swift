/// An endless, deterministic stream of messages of one `DatasetKind`.
public struct DatasetGenerator: Sendable {
    /// The seed used when none is given (so that published numbers can be reproduced).
    public static let defaultSeed: UInt64 = 0xC0D1_2026

    private enum Source: Sendable {
        case ticker(TickerStream)
        case sensor(SensorStream)
        case document(DocumentStream)
    }

    private var source: Source

    public init(kind: DatasetKind, seed: UInt64 = DatasetGenerator.defaultSeed) {
        switch kind {
        case .ticker: source = .ticker(TickerStream(seed: seed))
        case .sensor: source = .sensor(SensorStream(seed: seed))
        case .document: source = .document(DocumentStream(seed: seed))
        }
    }

    public mutating func next() -> DatasetMessage {
        switch source {
        case .ticker(var stream):
            let message = stream.next()
            source = .ticker(stream)
            return message
        case .sensor(var stream):
            let message = stream.next()
            source = .sensor(stream)
            return message
        case .document(var stream):
            let message = stream.next()
            source = .document(stream)
            return message
        }
    }
}
