/// Per client address limits (`docs/PROTOCOL.md` §18): new connections per second and
/// failed handshakes per minute. Bounded: at most `maxAddresses` are tracked; the
/// least recently seen are forgotten first.
public struct AddressLimiter: Sendable {
    public struct Limits: Hashable, Sendable {
        public var connectionsPerSecond: Double
        public var connectionBurst: Double
        public var failedHandshakesPerMinute: Double
        public var maxAddresses: Int

        public init(connectionsPerSecond: Double = 50, connectionBurst: Double = 200, failedHandshakesPerMinute: Double = 30, maxAddresses: Int = 100_000) {
            precondition(connectionsPerSecond > 0 && connectionBurst >= 1 && failedHandshakesPerMinute > 0 && maxAddresses > 0, "address limits must be positive")
            self.connectionsPerSecond = connectionsPerSecond
            self.connectionBurst = connectionBurst
            self.failedHandshakesPerMinute = failedHandshakesPerMinute
            self.maxAddresses = maxAddresses
        }
    }

    public enum Refusal: Equatable, Sendable {
        case tooManyConnections
        case tooManyFailedHandshakes
    }

    struct Entry: Sendable {
        var connections: TokenBucket
        var failures: TokenBucket
        var lastSeen: SessionInstant
    }

    public let limits: Limits
    private var entries: [String: Entry] = [:]

    public init(limits: Limits) { self.limits = limits }

    public var trackedAddresses: Int { entries.count }

    /// A connection from `address` arrived: nil to accept it, or why it is refused.
    public mutating func connectionOpened(from address: String, now: SessionInstant) -> Refusal? {
        var entry = entries[address] ?? makeEntry(now)
        entry.lastSeen = now
        defer { store(address, entry, now: now) }
        // Failed handshakes: refuse while the failure budget is spent (peek, do not take).
        var failures = entry.failures
        guard failures.take(1, now: now) else { return .tooManyFailedHandshakes }
        guard entry.connections.take(1, now: now) else { return .tooManyConnections }
        return nil
    }

    /// A handshake from `address` failed (bad proof, bad token, timeout).
    public mutating func handshakeFailed(from address: String, now: SessionInstant) {
        var entry = entries[address] ?? makeEntry(now)
        entry.lastSeen = now
        _ = entry.failures.take(1, now: now)
        store(address, entry, now: now)
    }

    private func makeEntry(_ now: SessionInstant) -> Entry {
        Entry(
            connections: TokenBucket(ratePerSecond: limits.connectionsPerSecond, burst: limits.connectionBurst, now: now),
            failures: TokenBucket(ratePerSecond: limits.failedHandshakesPerMinute / 60, burst: max(1, limits.failedHandshakesPerMinute), now: now),
            lastSeen: now
        )
    }

    private mutating func store(_ address: String, _ entry: Entry, now: SessionInstant) {
        entries[address] = entry
        if entries.count > limits.maxAddresses {
            // Forget the least recently seen tenth.
            let drop = entries.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(max(1, limits.maxAddresses / 10))
            for (key, _) in drop where key != address { entries[key] = nil }
        }
    }
}
