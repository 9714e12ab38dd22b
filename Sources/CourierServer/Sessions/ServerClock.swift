import Foundation
import CourierSession
import NIOConcurrencyHelpers
import NIOCore

/// Where the server reads time: a monotonic clock for protocol timers and resume
/// windows, and the wall clock for token expiry. Tests use `.manual`.
public struct ServerClock: Sendable {
    let monotonic: @Sendable () -> SessionInstant
    let wall: @Sendable () -> Date

    public init(monotonic: @escaping @Sendable () -> SessionInstant, wall: @escaping @Sendable () -> Date) {
        self.monotonic = monotonic
        self.wall = wall
    }

    public static let system = ServerClock(
        monotonic: { SessionInstant(nanoseconds: NIODeadline.now().uptimeNanoseconds) },
        wall: { Date() }
    )

    public func now() -> SessionInstant { monotonic() }
    public func wallNow() -> Date { wall() }
}

/// A clock tests move by hand.
public final class ManualClock: Sendable {
    private let state: NIOLockedValueBox<(SessionInstant, Date)>

    public init(monotonic: SessionInstant = SessionInstant(nanoseconds: 1_000_000_000), wall: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = NIOLockedValueBox((monotonic, wall))
    }

    public func advance(by duration: Duration) {
        state.withLockedValue { value in
            value.0 = value.0 + duration
            value.1 = value.1.addingTimeInterval(Double(duration.nanoseconds) / 1e9)
        }
    }

    public var serverClock: ServerClock {
        ServerClock(monotonic: { self.state.withLockedValue { $0.0 } }, wall: { self.state.withLockedValue { $0.1 } })
    }
}
