import CourierWire
import DequeModule

/// The sending half of reliable delivery (`docs/PROTOCOL.md` §12): numbers reliable
/// messages, keeps them until acknowledged in a replay buffer bounded in messages
/// and bytes, and hands back what a resumed peer missed.
public struct OutboundReliability: Sendable {
    public struct Limits: Hashable, Sendable {
        public var maxMessages: Int
        public var maxBytes: Int
        public init(maxMessages: Int = 4_096, maxBytes: Int = 8 << 20) {
            precondition(maxMessages > 0 && maxBytes > 0, "replay buffer limits must be positive")
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
        }
    }

    public struct Entry: Sendable, Hashable {
        public var sequence: UInt32
        public var message: CourierMessage
        public var bytes: Int

        public init(sequence: UInt32, message: CourierMessage, bytes: Int) {
            self.sequence = sequence
            self.message = message
            self.bytes = bytes
        }
    }

    public enum AssignResult: Equatable, Sendable {
        case assigned(UInt32)
        /// The replay buffer is full: the message was not numbered or stored.
        case bufferFull
    }

    public enum AcknowledgeResult: Equatable, Sendable {
        /// `released` messages left the replay buffer.
        case accepted(released: Int)
        /// The peer acknowledged a sequence that was never sent.
        case invalid
    }

    public enum ResumeResult: Equatable, Sendable {
        case replay([CourierMessage])
        /// The peer claims to have received something never sent.
        case invalid
    }

    public let limits: Limits
    /// The last sequence assigned (0 before the first).
    public private(set) var lastSent: UInt32 = 0
    /// Everything up to and including this sequence has been acknowledged.
    public private(set) var acknowledged: UInt32 = 0
    public private(set) var entries = Deque<Entry>()
    public private(set) var bufferedBytes = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public enum RestoreError: Error, Equatable, Sendable {
        /// The entries are not the consecutive sequences after `acknowledged` up to `lastSent`.
        case inconsistent(String)
    }

    /// The state a saved session had (a server restart, `SessionSnapshot`): the same
    /// sequences and unacknowledged messages, checked for consistency. The entries may
    /// exceed `limits` (they were within the limits that were in force when kept).
    public init(limits: Limits, lastSent: UInt32, acknowledged: UInt32, unacknowledged: [Entry]) throws(RestoreError) {
        self.limits = limits
        var expected = SerialNumber(acknowledged).next.rawValue
        for entry in unacknowledged {
            guard entry.sequence == expected, entry.message.header.sequence == entry.sequence else {
                throw .inconsistent("unacknowledged sequence \(entry.sequence) where \(expected) was expected")
            }
            expected = SerialNumber(expected).next.rawValue
        }
        guard SerialNumber(expected) == SerialNumber(lastSent).next else {
            throw .inconsistent("\(unacknowledged.count) unacknowledged messages after \(acknowledged) do not end at the last sent \(lastSent)")
        }
        self.lastSent = lastSent
        self.acknowledged = acknowledged
        self.entries = Deque(unacknowledged)
        self.bufferedBytes = unacknowledged.reduce(0) { $0 + $1.bytes }
    }

    public var isFull: Bool { entries.count >= limits.maxMessages || bufferedBytes >= limits.maxBytes }
    public var unacknowledgedCount: Int { entries.count }

    /// Numbers a reliable message and keeps it for replay. `bytes` is what it costs
    /// against the byte limit (normally its payload size).
    public mutating func assign(_ message: inout CourierMessage, bytes: Int) -> AssignResult {
        guard !isFull, bufferedBytes + bytes <= limits.maxBytes || entries.isEmpty else { return .bufferFull }
        let sequence = SerialNumber(lastSent).next.rawValue
        message.header.flags.insert(.ackRequested)
        message.header.sequence = sequence
        lastSent = sequence
        entries.append(Entry(sequence: sequence, message: message, bytes: bytes))
        bufferedBytes += bytes
        return .assigned(sequence)
    }

    /// Applies a cumulative acknowledgement.
    public mutating func acknowledge(_ sequence: UInt32) -> AcknowledgeResult {
        let ack = SerialNumber(sequence)
        if ack.isAfter(SerialNumber(lastSent)) { return .invalid }
        // A stale or repeated acknowledgement is harmless.
        guard ack.isAfter(SerialNumber(acknowledged)) else { return .accepted(released: 0) }
        var released = 0
        while let first = entries.first, !SerialNumber(first.sequence).isAfter(ack) {
            bufferedBytes -= first.bytes
            entries.removeFirst()
            released += 1
        }
        acknowledged = sequence
        return .accepted(released: released)
    }

    /// After a resume: drops what the peer has (`peerLastReceived` and before) and
    /// returns the rest, in order, to retransmit.
    public mutating func resume(peerLastReceived: UInt32) -> ResumeResult {
        guard case .accepted = acknowledge(peerLastReceived) else { return .invalid }
        return .replay(entries.map(\.message))
    }
}
