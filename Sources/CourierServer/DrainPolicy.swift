import CourierSession
import CourierWire

/// How the server leaves when asked to stop gracefully (SIGTERM, `CourierServer.drain()`),
/// `docs/PROTOCOL.md` §9.1 and §14: it stops accepting, closes every connection with
/// `Close 1012` carrying `retryAfterMillis` and `retryJitterMillis` (each client comes
/// back at a uniform point of that window, so they do not all return at once), waits up
/// to `deadline` for the connections to go, and saves the detached sessions if
/// `ServerConfiguration.sessionSnapshotPath` is set, so the next process resumes them.
public struct DrainPolicy: Hashable, Sendable {
    /// Clients wait at least this long before reconnecting (the restart's expected length).
    public var retryAfter: Duration
    /// …plus a uniform share of this window.
    public var jitter: Duration
    /// The longest the server waits for connections to close before it cuts them.
    public var deadline: Duration

    public init(retryAfter: Duration = .seconds(1), jitter: Duration = .seconds(5), deadline: Duration = .seconds(10)) {
        self.retryAfter = retryAfter
        self.jitter = jitter
        self.deadline = deadline
    }

    /// The Close every connection gets.
    var close: Close {
        Close(
            code: .serviceRestart, retryAfterMillis: UInt32(clamping: retryAfter.milliseconds), retryJitterMillis: UInt32(clamping: jitter.milliseconds),
            reason: "server restarting: come back in \(retryAfter.milliseconds)–\((retryAfter + jitter).milliseconds) ms"
        )
    }
}
