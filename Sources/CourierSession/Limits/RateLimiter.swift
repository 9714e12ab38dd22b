/// Per-connection rate limits on incoming data (messages/s and bytes/s), with the
/// escalation of `docs/PROTOCOL.md` §18: a message over the limit is dropped and the
/// sender told (`Error 400`, once per window); a sender still over the limit in
/// `strikesBeforeClose` consecutive windows is closed with 1008.
public struct RateLimiter: Hashable, Sendable {
    public struct Limits: Hashable, Sendable {
        public var messagesPerSecond: Double
        public var bytesPerSecond: Double
        /// Bursts allowed above the rate, as seconds' worth of it.
        public var burstSeconds: Double
        public var window: Duration
        public var strikesBeforeClose: Int

        public init(messagesPerSecond: Double = 20_000, bytesPerSecond: Double = 32 * 1_048_576, burstSeconds: Double = 1,
                    window: Duration = .seconds(1), strikesBeforeClose: Int = 3) {
            precondition(messagesPerSecond > 0 && bytesPerSecond > 0 && burstSeconds > 0 && window > .zero && strikesBeforeClose > 0,
                         "rate limits must be positive")
            self.messagesPerSecond = messagesPerSecond
            self.bytesPerSecond = bytesPerSecond
            self.burstSeconds = burstSeconds
            self.window = window
            self.strikesBeforeClose = strikesBeforeClose
        }
    }

    public enum Decision: Equatable, Sendable {
        case accept
        /// Drop the message. `notify`: the first drop of this window, so send the Error
        /// (with `droppedInWindow` so far, for the message).
        case drop(notify: Bool)
        /// Over the limit for `strikesBeforeClose` windows running: close with 1008.
        case close
    }

    public let limits: Limits
    /// `limits.window` in nanoseconds, at least 1 (`admit` divides by it per message:
    /// integers, not `Duration`'s 128-bit arithmetic).
    private let windowNanoseconds: UInt64
    private var messages: TokenBucket
    private var bytes: TokenBucket
    private var windowStart: SessionInstant
    private var droppedInWindow = 0
    private var strikes = 0
    private var lastStrikeWindow: Int64 = -2
    /// Messages dropped since the connection began.
    public private(set) var droppedTotal = 0

    public init(limits: Limits, now: SessionInstant) {
        self.limits = limits
        self.messages = TokenBucket(ratePerSecond: limits.messagesPerSecond, burst: max(1, limits.messagesPerSecond * limits.burstSeconds), now: now)
        self.bytes = TokenBucket(ratePerSecond: limits.bytesPerSecond, burst: max(1, limits.bytesPerSecond * limits.burstSeconds), now: now)
        self.windowStart = now
        self.windowNanoseconds = UInt64(max(1, limits.window.nanoseconds))
    }

    public mutating func admit(bytes count: Int, now: SessionInstant) -> Decision {
        let elapsed = now.nanoseconds > windowStart.nanoseconds ? now.nanoseconds - windowStart.nanoseconds : 0
        let window = Int64(elapsed / windowNanoseconds)
        // Take from both only if both allow it.
        var messagesAfter = messages
        var bytesAfter = bytes
        if messagesAfter.take(1, now: now) && bytesAfter.take(Double(count), now: now) {
            messages = messagesAfter
            bytes = bytesAfter
            if window > lastStrikeWindow + 1 { strikes = 0 }  // a clean window ends the streak
            return .accept
        }
        droppedTotal += 1
        guard window != lastStrikeWindow else {
            droppedInWindow += 1
            return .drop(notify: false)
        }
        strikes = window == lastStrikeWindow + 1 ? strikes + 1 : 1
        lastStrikeWindow = window
        droppedInWindow = 1
        if strikes >= limits.strikesBeforeClose { return .close }
        return .drop(notify: true)
    }

    /// Messages dropped so far in the current window.
    public var dropped: Int { droppedInWindow }
}
