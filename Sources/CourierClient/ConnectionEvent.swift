import CourierWire

/// What happens to the client's connection over time.
public enum ConnectionEvent: Hashable, Sendable {
    /// A connection is Active. `resumed`: the previous session continues with nothing lost.
    case connected(sessionID: UInt64, resumed: Bool)
    /// A connection (or a reconnect attempt) ended. `closeCode` is nil when the TCP
    /// connection was lost without a close.
    case disconnected(reason: String, closeCode: UInt16?)
    /// Waiting `delay` before reconnect attempt `attempt` (1-based).
    case reconnecting(attempt: Int, delay: Duration)
    /// The session could not be resumed; a new one started. `unacknowledged` are the
    /// messages sent in the old session that the server never confirmed (it may or may
    /// not have received them), in order.
    case resumeFailed(reason: HandshakeResponse.ResumeFailure, unacknowledged: [CourierMessage])
    /// The server reported an error the connection survives (3xx channel, 4xx flow),
    /// other than an answer to a `subscribe`.
    case serverError(ErrorMessage)
    /// Reconnect attempts are exhausted; `.closed` follows.
    case gaveUp
    /// The client is finished for good (after `close()`, a close that forbids
    /// reconnecting, or giving up). The event stream ends after this.
    case closed
}

/// A subscription the server confirmed (`docs/PROTOCOL.md` §7.14).
public struct Subscription: Hashable, Sendable {
    public var pattern: String
    /// The alias the server delivers this subscription on.
    public var channel: UInt32
    public var epoch: UInt64
    public var offset: UInt64
    public var recovery: SubscribeResult.Recovery

    public init(pattern: String, channel: UInt32, epoch: UInt64, offset: UInt64, recovery: SubscribeResult.Recovery) {
        self.pattern = pattern
        self.channel = channel
        self.epoch = epoch
        self.offset = offset
        self.recovery = recovery
    }
}

/// A place in a topic's history: its epoch and the offset of the next message wanted.
public struct HistoryPosition: Hashable, Sendable {
    public var epoch: UInt64
    public var offset: UInt64

    public init(epoch: UInt64, offset: UInt64) {
        self.epoch = epoch
        self.offset = offset
    }
}
