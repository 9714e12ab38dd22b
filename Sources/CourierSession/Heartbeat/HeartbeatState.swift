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

    public init(interval: Duration, now: SessionInstant) {
        self.interval = interval
        self.silenceLimit = interval.scaled(by: Self.deadAfterIntervals)
        self.lastReceived = now
        self.nextPing = now + interval
    }

    public var isEnabled: Bool { interval > .zero }

    /// When `tick` next has something to do.
    public var nextWakeup: SessionInstant? {
        guard isEnabled else { return nil }
        return min(nextPing, deadline)
    }

    var deadline: SessionInstant { lastReceived + silenceLimit }

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

    public mutating func tick(now: SessionInstant) -> Action {
        guard isEnabled else { return .none }
        if now >= deadline { return .peerDead(silentFor: now.since(lastReceived)) }
        if now >= nextPing {
            nextPing = now + interval
            return .sendPing(value: now.microseconds)
        }
        return .none
    }
}
