import CourierWire
import NIOCore

/// Collects the messages written during one event-loop tick and encodes them into as
/// few WebSocket messages as the limits allow (`docs/PROTOCOL.md` §1, §4, §10):
///
/// * control messages (Heartbeat, Acknowledge, WindowUpdate, Close, Error) go ahead of
///   everything else, in the order they were queued;
/// * the rest keep their order; a v2 reliable message that follows the previous one
///   on this connection loses its explicit sequence (`SequenceCompressor`);
/// * a batch holds at most `maxMessagesPerFrame` messages and about `frameBudget`
///   bytes; every message but the last of a batch carries its length.
///
/// One per connection. Performs no I/O.
struct OutboundBatcher {
    struct Failure: Error {
        var message: CourierMessage
        var error: WireError
    }

    let encoder: MessageEncoder
    let maxMessagesPerFrame: Int
    /// Batches stop growing past this many (estimated) bytes; one message larger than
    /// this travels alone.
    let frameBudget: Int
    /// Set on every v1 message once known (the v1 header always has the field); v2
    /// omits it after the handshake.
    var sessionID: UInt64?
    private var compressor = SequenceCompressor()
    private var control: [CourierMessage] = []
    private var ordered: [CourierMessage] = []

    init(version: ProtocolVersion, maxMessagesPerFrame: Int, frameBudget: Int) {
        self.encoder = MessageEncoder(version: version)
        self.maxMessagesPerFrame = maxMessagesPerFrame
        self.frameBudget = frameBudget
    }

    var isEmpty: Bool { control.isEmpty && ordered.isEmpty }
    var count: Int { control.count + ordered.count }

    static func isControl(_ type: MessageType) -> Bool {
        switch type {
        case .heartbeat, .acknowledge, .windowUpdate, .close, .error: return true
        default: return false
        }
    }

    mutating func append(_ message: CourierMessage) {
        if Self.isControl(message.type) { control.append(message) } else { ordered.append(message) }
    }

    /// Forgets queued messages that are not control messages (after a Close).
    mutating func dropData() { ordered.removeAll() }

    /// Encodes and removes everything queued: the payloads of the WebSocket messages to
    /// send, in order. A message that fails to encode is left out and reported.
    mutating func drain(allocator: ByteBufferAllocator) -> (frames: [ByteBuffer], failures: [Failure]) {
        guard !isEmpty else { return ([], []) }
        let queue = control + ordered
        control.removeAll(keepingCapacity: true)
        ordered.removeAll(keepingCapacity: true)
        var frames: [ByteBuffer] = []
        var failures: [Failure] = []
        var start = 0
        while start < queue.count {
            let end = batchEnd(queue, from: start)
            var buffer = allocator.buffer(capacity: min(estimatedBytes(queue[start..<end]), frameBudget + 1024))
            for index in start..<end {
                var message = queue[index]
                if encoder.version == .v1, message.header.sessionID == nil { message.header.sessionID = sessionID }
                var compressor = self.compressor
                compressor.compress(&message.header, version: encoder.version)
                do {
                    try encoder.encode(message, into: &buffer, includeLength: index < end - 1)
                    self.compressor = compressor
                } catch {
                    failures.append(Failure(message: queue[index], error: error))
                }
            }
            if buffer.readableBytes > 0 { frames.append(buffer) }
            start = end
        }
        return (frames, failures)
    }

    private func batchEnd(_ queue: [CourierMessage], from start: Int) -> Int {
        var end = start
        var bytes = 0
        while end < queue.count, end - start < maxMessagesPerFrame {
            let size = Self.estimatedSize(queue[end])
            if end > start, bytes + size > frameBudget { break }
            bytes += size
            end += 1
        }
        return end
    }

    private func estimatedBytes(_ slice: ArraySlice<CourierMessage>) -> Int {
        slice.reduce(0) { $0 + Self.estimatedSize($1) }
    }

    /// An upper bound on a message's encoded size: its payload plus room for the header
    /// and the fields (routes, keys and reasons are at most a few hundred bytes).
    static func estimatedSize(_ message: CourierMessage) -> Int {
        switch message.body {
        case .textData(let data), .binaryData(let data): return data.payload.readableBytes + 320
        case .deltaUpdate(let update): return update.payload.readableBytes + 600
        case .handshake(let handshake):
            if case .jwt(let token) = handshake.auth { return token.utf8.count + 1_024 }
            return 1_024
        default: return 320
        }
    }
}
