/// Heartbeats and dead-peer detection (`docs/PROTOCOL.md` §13): ping every
/// interval, declare the peer dead after 2.5 intervals of silence.
public struct HeartbeatState: Hashable, Sendable {
    public enum Action: Equatable, Sendable {
        case none
        /// Send `Heartbeat(ping, value)`; `value` is `now` in µs.
        case sendPing(value: UInt64)
        /// Nothing was received for 2.5 intervals: close with 4005.
        case peerDead(silentFor: Duration)
    }

    /// Zero disables heartbeats.
    public let interval: Duration
    public private(set) var lastReceived: SessionInstant
    public private(set) var nextPing: SessionInstant
    /// The most recent round-trip time measured by a pong.
    public private(set) var lastRoundTrip: Duration?

    public static let deadAfterIntervals = 2.5
    /// `interval × deadAfterIntervals`, computed once (it is read after every read batch).
    private let silenceLimit: Duration
    /// A tick this much later than the wakeup it was due at means this side was not
    /// running (its event loop or process stalled): `interval / 2`, the margin the
    /// silence limit leaves after the second unanswered ping.
    private let stallTolerance: Duration
    /// After a stall, the peer is not judged before this: silence this side could not
    /// hear (it was not reading, nor pinging) is not the peer's.
    private var graceUntil = SessionInstant.zero

    public init(interval: Duration, now: SessionInstant) {
        self.interval = interval
        self.silenceLimit = interval.scaled(by: Self.deadAfterIntervals)
        self.stallTolerance = interval / 2
        self.lastReceived = now
        self.nextPing = now + interval
    }

    public var isEnabled: Bool { interval > .zero }

    /// When `tick` next has something to do.
    public var nextWakeup: SessionInstant? {
        guard isEnabled else { return nil }
        return min(nextPing, deadline)
    }

    /// When the peer counts as dead: 2.5 intervals after it was last heard, and never
    /// within one interval of a stall this side came back from.
    var deadline: SessionInstant { max(lastReceived + silenceLimit, graceUntil) }

    /// Any message from the peer proves it is alive.
    public mutating func received(now: SessionInstant) {
        if now > lastReceived { lastReceived = now }
    }

    /// A pong came back: records the round-trip time it measures.
    public mutating func receivedPong(value: UInt64, now: SessionInstant) {
        received(now: now)
        let sentNanoseconds = value &* 1_000
        if sentNanoseconds <= now.nanoseconds {
            lastRoundTrip = now.since(SessionInstant(nanoseconds: sentNanoseconds))
        }
    }

    /// Called at `nextWakeup` (or later). A call more than `interval / 2` late finds this
    /// side back from a stall: what the peer sent meanwhile may still be unread and it
    /// was not pinged, so instead of judging it the peer gets one more interval (and a
    /// ping, now) from here (`docs/PROTOCOL.md` §13).
    public mutating func tick(now: SessionInstant) -> Action {
        guard isEnabled else { return .none }
        if let due = nextWakeup, now > due + stallTolerance {
            graceUntil = max(graceUntil, now + interval)
        }
        if now >= deadline { return .peerDead(silentFor: now.since(lastReceived)) }
        if now >= nextPing {
            nextPing = now + interval
            return .sendPing(value: now.microseconds)
        }
        return .none
    }
}
