import CourierSession
import CourierWire
import NIOCore

/// Collects the messages written during one event-loop tick and encodes them into as
/// few WebSocket messages as the limits allow (`docs/PROTOCOL.md` §1, §4, §10):
///
/// * control messages (Heartbeat, Acknowledge, WindowUpdate, Close, Error) go ahead of
///   everything else, in the order they were queued;
/// * the rest keep their order; a v2 reliable message that follows the previous one
///   on this connection loses its explicit sequence (`SequenceCompressor`);
/// * data messages (TextData, BinaryData, DeltaUpdate) spend the connection's send
///   `credit` when they are appended (§16.3); one that does not fit is held, with every
///   data message after it, until a `grant` makes room. Other messages never wait for
///   credit;
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
    /// What the server lets this connection send (unlimited until the handshake sets it).
    private(set) var credit: SendCredit
    private var compressor = SequenceCompressor()
    private var control: [CourierMessage] = []
    private var ordered: [CourierMessage] = []
    /// Data messages waiting for credit, in order.
    private var held = CircularBuffer<CourierMessage>()

    init(version: ProtocolVersion, maxMessagesPerFrame: Int, frameBudget: Int, credit: SendCredit = .unlimited) {
        self.encoder = MessageEncoder(version: version)
        self.maxMessagesPerFrame = maxMessagesPerFrame
        self.frameBudget = frameBudget
        self.credit = credit
    }

    /// Nothing is ready to write (held data messages do not count: they cannot be written).
    var isEmpty: Bool { control.isEmpty && ordered.isEmpty }
    /// Messages ready to write.
    var count: Int { control.count + ordered.count }
    /// Data messages waiting for credit.
    var heldCount: Int { held.count }

    static func isControl(_ type: MessageType) -> Bool {
        switch type {
        case .heartbeat, .acknowledge, .windowUpdate, .close, .error: return true
        default: return false
        }
    }

    /// TextData, BinaryData and DeltaUpdate: the messages that need credit (§16.3).
    static func isData(_ type: MessageType) -> Bool {
        switch type {
        case .textData, .binaryData, .deltaUpdate: return true
        default: return false
        }
    }

    /// The byte credit a message costs: its payload (0 for messages that need no credit).
    static func creditBytes(_ message: CourierMessage) -> Int {
        message.dataPayload?.readableBytes ?? 0
    }

    /// Whether a data message of `bytes` payload would go out now rather than be held.
    func canSendData(bytes: Int) -> Bool {
        held.isEmpty && credit.allows(bytes: bytes)
    }

    mutating func append(_ message: CourierMessage) {
        if Self.isControl(message.type) {
            control.append(message)
        } else if Self.isData(message.type) {
            let bytes = Self.creditBytes(message)
            if canSendData(bytes: bytes) {
                credit.spend(bytes: bytes)
                ordered.append(message)
            } else {
                held.append(message)
            }
        } else {
            ordered.append(message)
        }
    }

    /// Replaces the credit (the HandshakeResponse's initial credit); held messages that
    /// now fit are released. Returns how many were.
    @discardableResult
    mutating func setCredit(_ credit: SendCredit) -> Int {
        self.credit = credit
        return releaseHeld()
    }

    /// Adds the credit of a WindowUpdate; held messages that now fit are released, in
    /// order. Returns how many were.
    @discardableResult
    mutating func grant(_ update: WindowUpdate) -> Int {
        credit.grant(update)
        return releaseHeld()
    }

    private mutating func releaseHeld() -> Int {
        var released = 0
        while let first = held.first, credit.allows(bytes: Self.creditBytes(first)) {
            credit.spend(bytes: Self.creditBytes(first))
            ordered.append(held.removeFirst())
            released += 1
        }
        return released
    }

    /// Forgets queued messages that are not control messages (after a Close), held
    /// ones included.
    mutating func dropData() {
        ordered.removeAll()
        held.removeAll()
    }

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
