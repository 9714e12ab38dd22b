/// Turns the bytes read from one side of a connection into timed deliveries to the
/// other: chunks of at most `maxChunkBytes`, each leaving after the link has carried
/// the ones before it (`bandwidthBytesPerSecond`), arriving `latency` plus a uniform
/// share of `jitter` later, and never before the chunk ahead of it (TCP keeps order).
///
/// Pure: the caller passes the time of each read; the returned instants say when to
/// write each chunk.
public struct DirectionShaper: Hashable, Sendable {
    /// `bytes` to write at `at` (the proxy's clock).
    public struct Delivery: Hashable, Sendable {
        public var bytes: Int
        public var at: Duration

        public init(bytes: Int, at: Duration) {
            self.bytes = bytes
            self.at = at
        }
    }

    public let shaping: ChaosProfile.Shaping
    private var random: ChaosRandom
    /// When the link has finished sending what it was given.
    private var linkFreeAt: Duration = .zero
    /// When the last chunk is delivered.
    private var lastDelivery: Duration = .zero

    public init(shaping: ChaosProfile.Shaping, random: ChaosRandom) {
        self.shaping = shaping
        self.random = random
    }

    /// The deliveries of `bytes` read at `now`, in order; their sizes add up to `bytes`.
    public mutating func plan(bytes: Int, at now: Duration) -> [Delivery] {
        guard bytes > 0 else { return [] }
        if shaping.isTransparent { return [Delivery(bytes: bytes, at: now)] }
        var deliveries: [Delivery] = []
        var left = bytes
        while left > 0 {
            let size = shaping.maxChunkBytes > 0 ? min(left, random.int(in: 1...shaping.maxChunkBytes)) : left
            left -= size
            var sent = max(now, linkFreeAt)
            if shaping.bandwidthBytesPerSecond > 0 {
                sent += .nanoseconds(Int64(size) * 1_000_000_000 / Int64(shaping.bandwidthBytesPerSecond))
            }
            linkFreeAt = sent
            var arrival = sent + .milliseconds(shaping.latencyMillis)
            if shaping.jitterMillis > 0 { arrival += .microseconds(random.int(in: 0...shaping.jitterMillis * 1_000)) }
            lastDelivery = max(arrival, lastDelivery)
            deliveries.append(Delivery(bytes: size, at: lastDelivery))
        }
        return deliveries
    }
}
