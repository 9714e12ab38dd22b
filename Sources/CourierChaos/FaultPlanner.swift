/// Decides every fault a `ChaosProxy` injects, from its profile and a seed alone.
///
/// Pure and deterministic: time is passed in (the proxy's clock, as the time since it
/// started), nothing is read from the system, and each connection draws from its own
/// random stream (seed, connection number), so the same seed gives the same faults for
/// the n-th connection however the connections interleave. Tests drive it with made-up
/// instants and never sleep.
public struct FaultPlanner: Sendable {
    /// What to do with a new connection.
    public enum Admission: Hashable, Sendable {
        case accept(ConnectionPlan)
        /// An outage is on: reset the connection at once.
        case refuse(outage: ChaosProfile.Outage)
    }

    public let profile: ChaosProfile
    public let seed: UInt64
    /// Connections accepted so far (numbers 0, 1, 2, … in admission order).
    public private(set) var accepted: UInt64 = 0

    public init(profile: ChaosProfile, seed: UInt64) {
        self.profile = profile
        self.seed = seed
    }

    /// A connection arrives at `now`: refused during an outage, otherwise planned.
    public mutating func admit(at now: Duration) -> Admission {
        if let outage = outage(at: now) { return .refuse(outage: outage) }
        let plan = ConnectionPlan(profile: profile, seed: seed, index: accepted, openedAt: now)
        accepted += 1
        return .accept(plan)
    }

    /// A connection planned as usual, whatever the outages say (once the proxy's faults
    /// are off: its resets and black holes are then not performed).
    public mutating func admitWithoutOutage(at now: Duration) -> Admission {
        let plan = ConnectionPlan(profile: profile, seed: seed, index: accepted, openedAt: now)
        accepted += 1
        return .accept(plan)
    }

    /// The outage in force at `now`, if any (an outage covers `[start, end)`).
    public func outage(at now: Duration) -> ChaosProfile.Outage? {
        profile.outages.first { $0.start <= now && now < $0.end }
    }

    /// The first outage that starts after `now`, if any.
    public func nextOutage(after now: Duration) -> ChaosProfile.Outage? {
        profile.outages.first { $0.start > now }
    }
}

/// The faults of one connection: when it is reset, when it falls into black holes, and
/// how each direction is shaped. Times are on the proxy's clock (since it started).
public struct ConnectionPlan: Hashable, Sendable {
    /// One black hole: from `start` until `end` (nil: until the connection ends).
    public struct BlackHole: Hashable, Sendable {
        public var start: Duration
        public var end: Duration?
        public var directions: ChaosProfile.Directions
    }

    /// The connection's number in admission order.
    public let index: UInt64
    public let openedAt: Duration
    /// When the connection is reset; nil: never.
    public let resetAt: Duration?
    private let profile: ChaosProfile
    private let seed: UInt64
    private var holes: ChaosRandom

    init(profile: ChaosProfile, seed: UInt64, index: UInt64, openedAt: Duration) {
        self.index = index
        self.openedAt = openedAt
        self.profile = profile
        self.seed = seed
        var resets = ChaosRandom(seed: seed, stream: index &* 4)
        self.resetAt = profile.resets.map { openedAt + resets.exponential(meanMillis: $0.meanIntervalMillis) }
        self.holes = ChaosRandom(seed: seed, stream: index &* 4 &+ 1)
    }

    /// The next black hole after `from` (the connection's start, or the end of its last
    /// hole); nil when the profile has none.
    public mutating func nextBlackHole(after from: Duration) -> BlackHole? {
        guard let holes = profile.blackHoles else { return nil }
        let start = from + self.holes.exponential(meanMillis: holes.meanIntervalMillis)
        return BlackHole(start: start, end: holes.durationMillis.map { start + .milliseconds($0) }, directions: holes.directions)
    }

    /// The shaper of one direction, with its own random stream.
    public func shaper(_ direction: ChaosDirection) -> DirectionShaper {
        DirectionShaper(
            shaping: profile.shaping(direction),
            random: ChaosRandom(seed: seed, stream: index &* 4 &+ (direction == .clientToServer ? 2 : 3))
        )
    }
}
