import CourierSession
import NIOCore

/// What a `ConnectionTimers` timer calls when it fires (a connection handler).
protocol ConnectionTimerOwner: AnyObject {
    /// The timer fired (it is disarmed): `now` is at or past the deadline it was armed for.
    func timerFired(now: SessionInstant)
}

/// The connections' timers (handshake deadline, heartbeats) of one event loop: one
/// `TimerWheel` and one NIO scheduled task that drives it, instead of a scheduled task
/// per connection. Arming, moving or disarming a connection's timer is O(1) and never
/// touches NIO's scheduled-task heap; the driver task is moved only when a timer is
/// armed earlier than the next tick it waits for (rare with many connections: the
/// next tick is at most one resolution away). Touched only on its event loop.
///
/// A deadline fires no earlier than it is due and at most `resolution` late (plus the
/// loop's own scheduling delay); `docs/OPERATIONS.md` says why 20 ms.
final class ConnectionTimers: @unchecked Sendable {
    typealias Timer = TimerWheel<any ConnectionTimerOwner>.Timer

    static let defaultResolution = Duration.milliseconds(20)

    let eventLoop: any EventLoop
    private let clock: ServerClock
    private var wheel: TimerWheel<any ConnectionTimerOwner>
    /// The driver task, and the tick it is set for.
    private var task: Scheduled<Void>?
    private var taskTick: UInt64?
    private var fired: [any ConnectionTimerOwner] = []

    init(eventLoop: any EventLoop, clock: ServerClock, resolution: Duration) {
        self.eventLoop = eventLoop
        self.clock = clock
        self.wheel = TimerWheel(resolution: resolution, now: clock.now())
    }

    /// A timer for `owner` (not armed), kept for the connection's life; the wheel holds
    /// `owner` strongly until `remove`.
    func add(_ owner: any ConnectionTimerOwner) -> Timer {
        eventLoop.preconditionInEventLoop()
        return wheel.add(owner)
    }

    /// The owner's `timerFired(now:)` is called once `deadline` has passed (moves the timer if armed).
    func arm(_ timer: Timer, at deadline: SessionInstant) {
        wheel.arm(timer, at: deadline)
        scheduleDriver()
    }

    func disarm(_ timer: Timer) {
        wheel.disarm(timer)
    }

    /// The connection is gone: its timer with it.
    func remove(_ timer: Timer) {
        wheel.remove(timer)
        if wheel.armedCount == 0 {
            task?.cancel()
            task = nil
            taskTick = nil
        }
    }

    /// Sets the driver task for the next occupied tick, unless it is already set for that one or earlier.
    private func scheduleDriver() {
        guard let next = wheel.nextOccupiedTick else { return }
        if let taskTick, taskTick <= next { return }
        task?.cancel()
        taskTick = next
        let delay = wheel.time(ofTick: next).since(clock.now())
        task = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { self.run() }
    }

    private func run() {
        task = nil
        taskTick = nil
        let now = clock.now()
        wheel.advance(to: now, into: &fired)
        if !fired.isEmpty {
            // Handlers re-arm (and may remove) their timers while this runs: the wheel has already let go of them.
            let due = fired
            fired.removeAll(keepingCapacity: true)
            for owner in due { owner.timerFired(now: now) }
        }
        scheduleDriver()
    }

    /// Armed timers (for tests and gauges).
    var armedCount: Int { wheel.armedCount }
}
