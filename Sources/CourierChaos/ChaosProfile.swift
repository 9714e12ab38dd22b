/// What a `ChaosProxy` does to the connections it carries (`docs/CHAOS.md`).
///
/// Shaping (latency, jitter, bandwidth, chunking) is set per direction; resets and
/// black holes are drawn per connection; outages are scheduled for the whole proxy,
/// in milliseconds after it started. Every field has a bounded range (`validate()`).
/// A profile with nothing set forwards bytes untouched.
public struct ChaosProfile: Hashable, Sendable {
    /// How the bytes of one direction are shaped.
    public struct Shaping: Hashable, Sendable {
        /// Added to every chunk's delivery.
        public var latencyMillis: Int
        /// A uniform extra delay in `[0, jitterMillis]` per chunk. Order is kept (TCP):
        /// a chunk never overtakes the one before it.
        public var jitterMillis: Int
        /// The link's rate; 0: unlimited.
        public var bandwidthBytesPerSecond: Int
        /// Each read is forwarded as chunks of a uniform size in `[1, maxChunkBytes]`,
        /// each written and flushed on its own; 0: as read.
        public var maxChunkBytes: Int

        public init(latencyMillis: Int = 0, jitterMillis: Int = 0, bandwidthBytesPerSecond: Int = 0, maxChunkBytes: Int = 0) {
            self.latencyMillis = latencyMillis
            self.jitterMillis = jitterMillis
            self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
            self.maxChunkBytes = maxChunkBytes
        }

        public static let none = Shaping()

        /// Nothing to do: bytes go out as they came in.
        public var isTransparent: Bool { latencyMillis == 0 && jitterMillis == 0 && bandwidthBytesPerSecond == 0 && maxChunkBytes == 0 }
    }

    /// Random TCP resets (SO_LINGER 0 on both sides).
    public struct Resets: Hashable, Sendable {
        /// The mean time from a connection's start to its reset (exponentially
        /// distributed, so resets are memoryless).
        public var meanIntervalMillis: Int

        public init(meanIntervalMillis: Int) { self.meanIntervalMillis = meanIntervalMillis }
    }

    /// Which directions a black hole swallows.
    public enum Directions: String, Hashable, Sendable, CaseIterable {
        case both
        case clientToServer
        case serverToClient

        public func includes(_ direction: ChaosDirection) -> Bool {
            switch self {
            case .both: return true
            case .clientToServer: return direction == .clientToServer
            case .serverToClient: return direction == .serverToClient
            }
        }
    }

    /// Black holes: the connection stays open but nothing is forwarded (a half-open
    /// connection, a dead NAT mapping). Bytes read meanwhile are held, not dropped, as
    /// TCP would retransmit them; they go out if the hole ends.
    public struct BlackHoles: Hashable, Sendable {
        /// The mean time from a connection's start (or the end of its last hole) to its
        /// next hole (exponentially distributed).
        public var meanIntervalMillis: Int
        /// How long a hole lasts; nil: until the connection ends.
        public var durationMillis: Int?
        public var directions: Directions

        public init(meanIntervalMillis: Int, durationMillis: Int? = nil, directions: Directions = .both) {
            self.meanIntervalMillis = meanIntervalMillis
            self.durationMillis = durationMillis
            self.directions = directions
        }
    }

    /// From `atMillis` after the proxy started, for `durationMillis`: every connection
    /// is reset and new ones are refused (reset as soon as accepted).
    public struct Outage: Hashable, Sendable {
        public var atMillis: Int
        public var durationMillis: Int

        public init(atMillis: Int, durationMillis: Int) {
            self.atMillis = atMillis
            self.durationMillis = durationMillis
        }

        public var start: Duration { .milliseconds(atMillis) }
        public var end: Duration { .milliseconds(atMillis + durationMillis) }
    }

    public var name: String
    public var clientToServer: Shaping
    public var serverToClient: Shaping
    public var resets: Resets?
    public var blackHoles: BlackHoles?
    /// Sorted by start, not overlapping (`validate()`).
    public var outages: [Outage]

    public init(
        name: String = "custom", clientToServer: Shaping = .none, serverToClient: Shaping = .none, resets: Resets? = nil,
        blackHoles: BlackHoles? = nil, outages: [Outage] = []
    ) {
        self.name = name
        self.clientToServer = clientToServer
        self.serverToClient = serverToClient
        self.resets = resets
        self.blackHoles = blackHoles
        self.outages = outages
    }

    public func shaping(_ direction: ChaosDirection) -> Shaping {
        direction == .clientToServer ? clientToServer : serverToClient
    }

    // MARK: Limits

    /// Latency and jitter: at most a minute each.
    public static let maxDelayMillis = 60_000
    /// Bandwidth: at most 10 GB/s (above that, leave it unlimited).
    public static let maxBandwidth = 10_000_000_000
    /// Chunks: at most 1 MiB.
    public static let maxChunkBytes = 1 << 20
    /// Reset and black-hole intervals: 10 ms to a day.
    public static let intervalRange = 10...86_400_000
    /// Black holes and outages: 1 ms to a day.
    public static let durationRange = 1...86_400_000
    /// Outages: at most 1,000, starting within 30 days.
    public static let maxOutages = 1_000
    public static let maxOutageStartMillis = 30 * 86_400_000

    /// Checks every field against its range; the error names the field.
    public func validate() throws(ChaosProfileError) {
        for (label, shaping) in [("clientToServer", clientToServer), ("serverToClient", serverToClient)] {
            try Self.check("\(label).latencyMs", shaping.latencyMillis, in: 0...Self.maxDelayMillis)
            try Self.check("\(label).jitterMs", shaping.jitterMillis, in: 0...Self.maxDelayMillis)
            try Self.check("\(label).bandwidthBytesPerSecond", shaping.bandwidthBytesPerSecond, in: 0...Self.maxBandwidth)
            try Self.check("\(label).maxChunkBytes", shaping.maxChunkBytes, in: 0...Self.maxChunkBytes)
        }
        if let resets { try Self.check("resets.meanIntervalMs", resets.meanIntervalMillis, in: Self.intervalRange) }
        if let blackHoles {
            try Self.check("blackHoles.meanIntervalMs", blackHoles.meanIntervalMillis, in: Self.intervalRange)
            if let duration = blackHoles.durationMillis { try Self.check("blackHoles.durationMs", duration, in: Self.durationRange) }
        }
        guard outages.count <= Self.maxOutages else { throw .outOfRange(field: "outages", value: outages.count, range: 0...Self.maxOutages) }
        for (index, outage) in outages.enumerated() {
            try Self.check("outages[\(index)].atMs", outage.atMillis, in: 0...Self.maxOutageStartMillis)
            try Self.check("outages[\(index)].durationMs", outage.durationMillis, in: Self.durationRange)
            if index > 0, outage.atMillis < outages[index - 1].atMillis + outages[index - 1].durationMillis {
                throw .overlappingOutages(index: index)
            }
        }
    }

    static func check(_ field: String, _ value: Int, in range: ClosedRange<Int>) throws(ChaosProfileError) {
        guard range.contains(value) else { throw .outOfRange(field: field, value: value, range: range) }
    }
}

/// One direction of a proxied connection.
public enum ChaosDirection: String, Hashable, Sendable, CaseIterable {
    case clientToServer
    case serverToClient
}
