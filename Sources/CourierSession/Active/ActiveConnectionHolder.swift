import CourierWire

/// What the client and server connection state machines share once Active: sending
/// reliable messages and acknowledging. Each provides access to its Active state.
public protocol ActiveConnectionHolder {
    /// The Active connection, if the state is Active.
    var activeConnection: ActiveConnection? { get }
    /// Runs `body` on the Active connection, or returns nil when not Active.
    mutating func modifyActive<Result>(_ body: (inout ActiveConnection) -> Result) -> Result?
}

extension ActiveConnectionHolder {
    /// The session's reliable state, while Active.
    public var session: ReliableSession? { activeConnection?.session }

    /// The round-trip time the last pong measured, while Active.
    public var lastRoundTrip: Duration? { activeConnection?.heartbeat.lastRoundTrip }

    /// Numbers a reliable message (keeping it for replay) or passes an unreliable one;
    /// nil when the connection is not Active.
    public mutating func send(_ message: CourierMessage, reliable: Bool, bytes: Int) -> ActiveConnection.SendResult? {
        modifyActive { $0.send(message, reliable: reliable, bytes: bytes) }
    }

    /// The coalesced Acknowledge owed at the end of a read batch, if any.
    public mutating func takeAcknowledgement() -> CourierMessage? {
        modifyActive { $0.takeAcknowledgement() } ?? nil
    }

    /// The same, as the sequence the Acknowledge carries (for a caller that encodes it
    /// itself: `MessageEncoder.encodeAcknowledge`).
    public mutating func takeAcknowledgedSequence() -> UInt32? {
        modifyActive { $0.session.inbound.takeAcknowledgement() } ?? nil
    }
}
