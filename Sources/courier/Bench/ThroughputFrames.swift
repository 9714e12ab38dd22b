import CourierWire
import NIOCore

/// The publisher's WebSocket messages for `courier bench throughput`: reliable
/// BinaryData messages with consecutive sequences.
///
/// The first message of the connection binds channel alias 1 to the topic and carries
/// its sequence (§4: the first reliable message of a connection MUST); every later one
/// is routed by the alias with an implicit sequence, as `SequenceCompressor` decides.
/// So every later batch of the same size is the same bytes: it is encoded once and the
/// buffer reused.
struct ThroughputFrames {
    static let alias: UInt32 = 1

    let topic: String
    let payload: ByteBuffer
    private let encoder = MessageEncoder(version: .v2)
    private var compressor = SequenceCompressor()
    private var reusable: [Int: ByteBuffer] = [:]
    /// `reusable[1]`, without the dictionary lookup (the ping-pong's every message).
    private var reusableSingle: ByteBuffer?

    init(topic: String, payloadBytes: Int) {
        self.topic = topic
        self.payload = ByteBuffer(repeating: 0x74, count: payloadBytes)
    }

    /// One WebSocket message carrying the messages with sequences `first ..< first + count`,
    /// in the order they are written on the connection.
    mutating func frame(first: UInt32, count: Int) throws(WireError) -> ByteBuffer {
        let implicit = compressor.lastOnWire.map { SequenceResolver.successor(of: $0) == first } ?? false
        if implicit, count == 1, let frame = reusableSingle {
            compressor = SequenceCompressor(previous: first)
            return frame
        }
        if implicit, let frame = reusable[count] {
            compressor = SequenceCompressor(previous: first &+ UInt32(count - 1))
            return frame
        }
        var buffer = ByteBuffer()
        var sequence = first
        for index in 0..<count {
            var header = MessageHeader(flags: .ackRequested, sequence: sequence)
            compressor.compress(&header, version: .v2)
            let route: Route = header.sequence == nil ? .channel(Self.alias) : .bind(alias: Self.alias, topic: topic)
            let message = CourierMessage(header: header, body: .binaryData(DataMessage(route: route, payload: payload)))
            try encoder.encode(message, into: &buffer, includeLength: index < count - 1)
            sequence = SequenceResolver.successor(of: sequence)
        }
        if implicit { if count == 1 { reusableSingle = buffer } else { reusable[count] = buffer } }
        return buffer
    }
}
