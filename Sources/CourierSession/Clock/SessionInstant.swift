/// A point on a monotonic clock, in nanoseconds. Protocol logic never reads a clock:
/// every event carries `now`, so tests drive time by hand (STYLE.md §8).
public struct SessionInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = SessionInstant(nanoseconds: 0)

    public static func < (lhs: SessionInstant, rhs: SessionInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: SessionInstant, rhs: Duration) -> SessionInstant {
        let delta = rhs.nanoseconds
        return SessionInstant(nanoseconds: delta >= 0 ? lhs.nanoseconds &+ UInt64(delta) : lhs.nanoseconds &- UInt64(-delta))
    }

    /// Time from `earlier` to `self` (zero when `earlier` is later).
    public func since(_ earlier: SessionInstant) -> Duration {
        guard nanoseconds > earlier.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - earlier.nanoseconds))
    }

    /// Microseconds, as carried by Heartbeat values.
    public var microseconds: UInt64 { nanoseconds / 1_000 }

    public var description: String { "t+\(Double(nanoseconds) / 1e6)ms" }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// `self × factor`, for fractional multiples such as 2.5 heartbeat intervals.
    public func scaled(by factor: Double) -> Duration {
        .nanoseconds(Int64(Double(nanoseconds) * factor))
    }
}
