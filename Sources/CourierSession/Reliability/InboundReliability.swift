/// The receiving half of reliable delivery (`docs/PROTOCOL.md` §12): in-order
/// delivery, duplicate suppression and coalesced cumulative acknowledgements.
public struct InboundReliability: Hashable, Sendable {
    public enum Verdict: Equatable, Sendable {
        /// New and in order: hand it to the application.
        case deliver
        /// Already delivered (a replay after resume): drop it, acknowledge again.
        case duplicate
        /// A sequence was skipped: a protocol violation (close 4003).
        case gap(expected: UInt32, got: UInt32)
    }

    /// The highest sequence received in order (0 = none).
    public private(set) var lastReceived: UInt32
    /// The value most recently sent in an Acknowledge.
    public private(set) var lastAcknowledged: UInt32
    private var reacknowledge = false
    /// Reliable messages delivered since the last Acknowledge.
    public private(set) var unacknowledged = 0

    /// Acknowledge at once after this many unacknowledged messages, even mid-batch.
    public static let acknowledgeEvery = 32

    public init(lastReceived: UInt32 = 0) {
        self.lastReceived = lastReceived
        self.lastAcknowledged = lastReceived
    }

    public mutating func receive(_ sequence: UInt32) -> Verdict {
        let incoming = SerialNumber(sequence)
        let last = SerialNumber(lastReceived)
        if incoming == last.next {
            lastReceived = sequence
            unacknowledged += 1
            return .deliver
        }
        if !incoming.isAfter(last) {
            reacknowledge = true
            return .duplicate
        }
        return .gap(expected: last.next.rawValue, got: sequence)
    }

    /// Whether enough has arrived to acknowledge before the read batch ends.
    public var acknowledgementDueNow: Bool { unacknowledged >= Self.acknowledgeEvery }

    /// The Acknowledge to send now, if any (call at the end of each read batch).
    public mutating func takeAcknowledgement() -> UInt32? {
        guard lastReceived != lastAcknowledged || reacknowledge else { return nil }
        lastAcknowledged = lastReceived
        reacknowledge = false
        unacknowledged = 0
        return lastReceived
    }
}
