import NIOCore
import NIOWebSocket

/// Joins a fragmented WebSocket message (RFC 6455 §5.4) in the connection handler, so
/// the common unfragmented frame goes straight to the protocol with no extra handler
/// in the pipeline (NIO's `NIOWebSocketFrameAggregator` costs a handler hop and a
/// dynamic cast per frame). Control frames may arrive between fragments and are not
/// its business.
struct FragmentAssembler {
    enum Outcome: Equatable {
        /// A whole message: process it.
        case message(ByteBuffer)
        /// A fragment was kept; the message is not complete yet.
        case pending
        /// A continuation without a first fragment, or a new message before the last ended.
        case badFragmentation(String)
        /// The fragments together exceed `maxBytes`, or there are more than `maxFragments`.
        case tooBig(String)
    }

    let maxBytes: Int
    let maxFragments: Int
    private var buffer: ByteBuffer?
    private var fragments = 0

    init(maxBytes: Int, maxFragments: Int = 1_024) {
        self.maxBytes = maxBytes
        self.maxFragments = maxFragments
    }

    var isAssembling: Bool { buffer != nil }

    /// A binary (or continuation) frame's unmasked data.
    mutating func receive(_ data: ByteBuffer, opcode: WebSocketOpcode, fin: Bool) -> Outcome {
        switch (opcode, buffer) {
        case (.continuation, nil):
            return .badFragmentation("a continuation frame without a first fragment")
        case (.continuation, .some):
            return append(data, fin: fin)
        case (_, .some):
            return .badFragmentation("a new message began before the fragmented one ended")
        case (_, nil):
            if fin { return .message(data) }
            buffer = data
            fragments = 1
            return data.readableBytes > maxBytes ? tooBig() : .pending
        }
    }

    private mutating func append(_ data: ByteBuffer, fin: Bool) -> Outcome {
        fragments += 1
        guard fragments <= maxFragments else {
            buffer = nil
            return .tooBig("more than \(maxFragments) fragments")
        }
        guard buffer!.readableBytes + data.readableBytes <= maxBytes else { return tooBig() }
        var data = data
        buffer!.writeBuffer(&data)
        guard fin else { return .pending }
        defer { buffer = nil }
        return .message(buffer!)
    }

    private mutating func tooBig() -> Outcome {
        buffer = nil
        return .tooBig("message over \(maxBytes) bytes")
    }
}
