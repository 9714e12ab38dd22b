/// A token bucket: `ratePerSecond` tokens flow in, at most `burst` are kept.
/// Time is passed in; the bucket never reads a clock.
public struct TokenBucket: Hashable, Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    public private(set) var tokens: Double
    private var updated: SessionInstant

    public init(ratePerSecond: Double, burst: Double, now: SessionInstant) {
        precondition(ratePerSecond > 0 && burst >= 1, "a token bucket needs a positive rate and a burst of at least 1")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.tokens = burst
        self.updated = now
    }

    /// Takes `cost` tokens if there are enough; false (and nothing taken) otherwise.
    public mutating func take(_ cost: Double = 1, now: SessionInstant) -> Bool {
        refill(now: now)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    mutating func refill(now: SessionInstant) {
        guard now > updated else { return }
        let elapsed = Double(now.nanoseconds - updated.nanoseconds) / 1e9
        tokens = min(burst, tokens + elapsed * ratePerSecond)
        updated = now
    }
}
