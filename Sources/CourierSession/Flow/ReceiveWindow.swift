import CourierWire

/// The receiving side of credit flow control (`docs/PROTOCOL.md` §16.3): what credit
/// the peer holds, what arrived but the application has not consumed yet, and when to
/// return credit with a `WindowUpdate`, around a window `W` that adapts to the
/// round-trip time.
///
/// The peer's credit plus what is buffered here never exceeds `W` because of a grant
/// from this side: credit is returned only for messages the application consumed, so
/// a consumer that does not read stops the peer after at most `W`.
///
/// A value type with no I/O and no clock: the owner reports arrivals (`received`),
/// consumption (`consumed`) and round-trip samples (`roundTrip`), and sends what
/// `initialGrant` and `takeUpdate()` return. Counts are `Int64` and saturate or
/// clamp: no peer input traps, wraps or drives a count negative.
public struct ReceiveWindow: Hashable, Sendable {
    /// Bounds and starting point of the window, in messages and payload bytes.
    public struct Limits: Hashable, Sendable {
        public var initialMessages: Int
        public var initialBytes: Int
        public var minMessages: Int
        public var minBytes: Int
        public var maxMessages: Int
        public var maxBytes: Int

        /// The largest window a `WindowUpdate` (32-bit fields) can grant at once.
        public static let largestWindow = Int(UInt32.max)

        /// Defaults of this implementation (§16.3): 256 to 65,536 messages and 1 MiB
        /// to 64 MiB, starting at 4,096 messages and 8 MiB. Requires, for messages and
        /// bytes alike, `0 < min ≤ initial ≤ max ≤ largestWindow`.
        public init(
            initialMessages: Int = 4_096, initialBytes: Int = 8 << 20,
            minMessages: Int = 256, minBytes: Int = 1 << 20,
            maxMessages: Int = 65_536, maxBytes: Int = 64 << 20
        ) {
            self.initialMessages = initialMessages
            self.initialBytes = initialBytes
            self.minMessages = minMessages
            self.minBytes = minBytes
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
            precondition(isValid, "receive window limits need 0 < min ≤ initial ≤ max ≤ \(Self.largestWindow), for messages and bytes")
        }

        /// Whether `0 < min ≤ initial ≤ max ≤ largestWindow` holds for messages and bytes.
        public var isValid: Bool {
            0 < minMessages && minMessages <= initialMessages && initialMessages <= maxMessages && maxMessages <= Self.largestWindow
                && 0 < minBytes && minBytes <= initialBytes && initialBytes <= maxBytes && maxBytes <= Self.largestWindow
        }

        /// These limits with every byte window at least `messageBytes` (capped at
        /// `largestWindow`), so that a message of that size never waits forever (§16.3).
        public func accommodating(messageBytes: Int) -> Limits {
            let floor = min(max(0, messageBytes), Self.largestWindow)
            var limits = self
            limits.minBytes = max(minBytes, floor)
            limits.initialBytes = max(initialBytes, floor)
            limits.maxBytes = max(maxBytes, floor)
            return limits
        }
    }

    /// What an arriving data message did to the peer's credit.
    public enum Receipt: Hashable, Sendable {
        /// Within the credit.
        case accepted
        /// The peer had no credit left for it (in messages or bytes). The message is
        /// still counted as buffered; the credit stays at zero rather than going negative.
        case exceeded
    }

    /// Round-trip times below this are measurement noise: the RTT thresholds are
    /// taken relative to `max(smallest RTT, roundTripResolution)`.
    public static let roundTripResolution = Duration.milliseconds(1)

    public let limits: Limits
    private var windowMessages: Int64
    private var windowBytes: Int64
    private var outstandingMessages: Int64
    private var outstandingBytes: Int64
    private var bufferedMessages: Int64 = 0
    private var bufferedBytes: Int64 = 0
    /// The smallest round-trip time seen so far.
    public private(set) var smallestRoundTrip: Duration?
    /// The peer's credit fell to a quarter of the window since the last RTT sample
    /// while at most a quarter of the window waited to be consumed.
    public private(set) var peerWasLimited = false

    /// A window of `limits.initial…`, counting `initialGrant` as already granted: send
    /// it to the peer when flow control starts.
    public init(limits: Limits = Limits()) {
        precondition(limits.isValid, "invalid receive window limits")
        self.limits = limits
        self.windowMessages = Int64(limits.initialMessages)
        self.windowBytes = Int64(limits.initialBytes)
        self.outstandingMessages = windowMessages
        self.outstandingBytes = windowBytes
    }

    /// The first credit, on the connection (channel 0): the whole initial window.
    public var initialGrant: WindowUpdate {
        WindowUpdate(channel: 0, messages: UInt32(limits.initialMessages), bytes: UInt32(limits.initialBytes))
    }

    /// The current window `W`.
    public var window: (messages: Int, bytes: Int) { (Int(windowMessages), Int(windowBytes)) }

    /// The credit the peer still holds, as far as this side knows.
    public var outstanding: (messages: Int, bytes: Int) { (Int(clamping: outstandingMessages), Int(clamping: outstandingBytes)) }

    /// Received and not yet consumed.
    public var buffered: (messages: Int, bytes: Int) { (Int(clamping: bufferedMessages), Int(clamping: bufferedBytes)) }

    /// A data message with `bytes` of payload arrived: the peer spent credit on it.
    public mutating func received(bytes: Int) -> Receipt {
        let cost = Int64(max(0, bytes))
        bufferedMessages = Self.add(bufferedMessages, 1)
        bufferedBytes = Self.add(bufferedBytes, cost)
        let receipt: Receipt = outstandingMessages >= 1 && outstandingBytes >= cost ? .accepted : .exceeded
        outstandingMessages = max(0, outstandingMessages - 1)
        outstandingBytes = max(0, outstandingBytes - cost)
        // The window limited the peer only if the receiver kept up: its credit ran low
        // while little was waiting to be consumed. A slow consumer is not a reason to
        // grow the window (that would only buffer more here).
        let lowCredit = outstandingMessages <= windowMessages / 4 || outstandingBytes <= windowBytes / 4
        let keptUp = bufferedMessages <= max(1, windowMessages / 4) && bufferedBytes <= max(cost, windowBytes / 4)
        if lowCredit && keptUp {
            peerWasLimited = true
        }
        return receipt
    }

    /// The application (or router) is done with `messages` messages of `bytes` payload
    /// in total: their credit can be returned. More than is buffered counts as all.
    public mutating func consumed(messages: Int, bytes: Int) {
        bufferedMessages = max(0, bufferedMessages - Int64(max(0, messages)))
        bufferedBytes = max(0, bufferedBytes - Int64(max(0, bytes)))
    }

    /// The credit to send now, if it is worth a message: enough to bring the peer's
    /// credit plus what is buffered back up to `W`, once that sum has fallen to ¾ of
    /// `W` in messages or in bytes. The peer's credit never exceeds `W` by a grant;
    /// after the window shrank, nothing is granted until it is below the new `W`.
    public mutating func takeUpdate() -> WindowUpdate? {
        let usedMessages = Self.add(outstandingMessages, bufferedMessages)
        let usedBytes = Self.add(outstandingBytes, bufferedBytes)
        guard usedMessages <= windowMessages * 3 / 4 || usedBytes <= windowBytes * 3 / 4 else { return nil }
        let messages = max(0, windowMessages - usedMessages)
        let bytes = max(0, windowBytes - usedBytes)
        guard messages > 0 || bytes > 0 else { return nil }
        outstandingMessages += messages
        outstandingBytes += bytes
        // The window is at most `Limits.largestWindow`, so both fit.
        return WindowUpdate(channel: 0, messages: UInt32(messages), bytes: UInt32(bytes))
    }

    /// A round-trip sample (a heartbeat's ping → pong): when the RTT is above twice the
    /// smallest seen, queues are building and `W` shrinks to ¾ (not below the
    /// minimum); when it is within 1.25× the smallest and the window limited the peer
    /// since the last sample, `W` doubles (not above the maximum).
    public mutating func roundTrip(_ rtt: Duration) {
        guard rtt >= .zero else { return }
        let smallest = min(smallestRoundTrip ?? rtt, rtt)
        smallestRoundTrip = smallest
        let base = max(smallest, Self.roundTripResolution)
        if rtt > base * 2 {
            windowMessages = max(Int64(limits.minMessages), windowMessages * 3 / 4)
            windowBytes = max(Int64(limits.minBytes), windowBytes * 3 / 4)
        } else if rtt * 4 <= base * 5, peerWasLimited {
            windowMessages = min(Int64(limits.maxMessages), windowMessages * 2)
            windowBytes = min(Int64(limits.maxBytes), windowBytes * 2)
        }
        peerWasLimited = false
    }

    private static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
