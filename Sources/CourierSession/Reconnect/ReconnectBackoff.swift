/// Reconnect delays (`docs/PROTOCOL.md` §14): exponential backoff with full jitter,
/// a cap, a maximum number of attempts, a reset after a stable period, and server
/// retry hints (close 1012/1013). Randomness is injected, so tests are exact.
public struct ReconnectBackoff: Hashable, Sendable {
    public struct Policy: Hashable, Sendable {
        public var base: Duration
        public var cap: Duration
        /// 0 = never give up.
        public var maxAttempts: Int
        /// A connection that stayed Active this long resets the attempt count. The
        /// default, 1 s, keeps a flaky network's resets from adding up to long waits
        /// (with 10 s, under a reset every 10 s on average, recovery p99 was 9.7 s and
        /// clients could run out of attempts; `docs/CHAOS.md`), while a server that
        /// drops connections at once still meets a growing backoff.
        public var stablePeriod: Duration

        public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(30), maxAttempts: Int = 20, stablePeriod: Duration = .seconds(1)) {
            precondition(base > .zero && cap >= base, "backoff needs 0 < base <= cap")
            precondition(maxAttempts >= 0, "maxAttempts must not be negative")
            self.base = base
            self.cap = cap
            self.maxAttempts = maxAttempts
            self.stablePeriod = stablePeriod
        }
    }

    public struct RetryHint: Hashable, Sendable {
        public var after: Duration
        public var jitter: Duration
        public init(after: Duration, jitter: Duration) {
            self.after = after
            self.jitter = jitter
        }
    }

    public let policy: Policy
    /// Attempts made since the last stable connection.
    public private(set) var attempts = 0
    private var connectedAt: SessionInstant?
    private var hint: RetryHint?

    public init(policy: Policy = Policy()) { self.policy = policy }

    /// A connection became Active.
    public mutating func connected(now: SessionInstant) {
        connectedAt = now
    }

    /// The connection ended; `hint` comes from a Close 1012/1013.
    public mutating func disconnected(now: SessionInstant, hint: RetryHint? = nil) {
        if let connectedAt, now.since(connectedAt) >= policy.stablePeriod { attempts = 0 }
        connectedAt = nil
        self.hint = hint
    }

    /// The delay before the next attempt, or nil when attempts are exhausted.
    public mutating func nextDelay(using random: inout some RandomNumberGenerator) -> Duration? {
        if policy.maxAttempts > 0 && attempts >= policy.maxAttempts { return nil }
        defer { attempts += 1 }
        if let hint {
            self.hint = nil
            let jitter = hint.jitter.nanoseconds > 0 ? Int64.random(in: 0...hint.jitter.nanoseconds, using: &random) : 0
            return hint.after + .nanoseconds(jitter)
        }
        // min(cap, base × 2^attempts), computed without overflow.
        let baseNanos = policy.base.nanoseconds
        let capNanos = policy.cap.nanoseconds
        let shift = min(attempts, 62)
        let ceiling = baseNanos > (capNanos >> shift) ? capNanos : min(capNanos, baseNanos << shift)
        return .nanoseconds(Int64.random(in: 0...ceiling, using: &random))
    }
}
