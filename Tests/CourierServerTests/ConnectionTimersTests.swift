@testable import CourierServer
import CourierSession
import NIOCore
import NIOEmbedded
import Testing

/// The per-loop timer wheel driven by its one scheduled task, on an `EmbeddedEventLoop`
/// whose time moves in step with a `ManualClock`: no sleeping.
@Suite("Connection timers (one wheel per event loop)")
struct ConnectionTimersTests {
    final class Owner: ConnectionTimerOwner {
        var fired: [SessionInstant] = []
        var onFire: ((SessionInstant) -> Void)?
        func timerFired(now: SessionInstant) {
            fired.append(now)
            onFire?(now)
        }
    }

    /// An embedded loop (used only on the thread of the test that made it) and a manual clock moved together.
    struct Fixture {
        let loop = EmbeddedEventLoop()
        let clock = ManualClock()
        let timers: ConnectionTimers

        init() {
            timers = ConnectionTimers(eventLoop: loop, clock: clock.serverClock, resolution: .milliseconds(20))
        }

        var now: SessionInstant { clock.serverClock.now() }

        func advance(by duration: Duration) {
            clock.advance(by: duration)
            loop.advanceTime(by: .nanoseconds(duration.nanoseconds))
        }
    }

    @Test func aDeadlineFiresOnceNotEarlyAndWithinOneTick() {
        let f = Fixture()
        let owner = Owner()
        let timer = f.timers.add(owner)
        let deadline = f.now + .milliseconds(105)
        f.timers.arm(timer, at: deadline)
        f.advance(by: .milliseconds(100))
        #expect(owner.fired.isEmpty)
        f.advance(by: .milliseconds(5))
        #expect(owner.fired.isEmpty, "due, but its tick has not ended")
        f.advance(by: .milliseconds(15))
        #expect(owner.fired.count == 1)
        #expect(owner.fired.allSatisfy { $0 >= deadline && $0.since(deadline) <= .milliseconds(20) })
        f.advance(by: .seconds(5))
        #expect(owner.fired.count == 1, "a fired timer is disarmed")
        #expect(f.timers.armedCount == 0)
    }

    @Test func ownersReArmFromTheirCallbackLikeAHeartbeat() {
        let f = Fixture()
        let owner = Owner()
        let timer = f.timers.add(owner)
        let timers = f.timers
        owner.onFire = { now in timers.arm(timer, at: now + .seconds(1)) }
        f.timers.arm(timer, at: f.now + .seconds(1))
        for _ in 0..<250 { f.advance(by: .milliseconds(20)) }  // 5 s
        #expect(owner.fired.count == 5)
        let gaps = zip(owner.fired.dropFirst(), owner.fired).map { $0.since($1) }
        #expect(gaps.allSatisfy { $0 >= .seconds(1) && $0 <= .milliseconds(1_020) }, "\(gaps)")
    }

    @Test func manyConnectionsMovedOnEveryMessageFireOnceAtTheirLastDeadline() {
        let f = Fixture()
        let owners = (0..<5_000).map { _ in Owner() }
        let handles = owners.map { f.timers.add($0) }
        let start = f.now
        for (index, handle) in handles.enumerated() {
            // Each is moved later three times (messages arriving), then earlier once.
            for step in [300, 600, 900, 450] { f.timers.arm(handle, at: start + .milliseconds(step + index % 100)) }
        }
        f.advance(by: .milliseconds(440))
        #expect(owners.allSatisfy { $0.fired.isEmpty })
        f.advance(by: .milliseconds(600))
        #expect(owners.allSatisfy { $0.fired.count == 1 })
        for (index, owner) in owners.enumerated() {
            let due = start + .milliseconds(450 + index % 100)
            #expect(owner.fired[0] >= due)
        }
    }

    @Test func aRemovedOrDisarmedTimerDoesNotFire() {
        let f = Fixture()
        let kept = Owner()
        let gone = Owner()
        let paused = Owner()
        let keptTimer = f.timers.add(kept)
        let goneTimer = f.timers.add(gone)
        let pausedTimer = f.timers.add(paused)
        for timer in [keptTimer, goneTimer, pausedTimer] { f.timers.arm(timer, at: f.now + .milliseconds(50)) }
        f.timers.remove(goneTimer)
        f.timers.disarm(pausedTimer)
        f.advance(by: .milliseconds(100))
        #expect(kept.fired.count == 1)
        #expect(gone.fired.isEmpty)
        #expect(paused.fired.isEmpty)
    }

    @Test func aTimerArmedEarlierThanTheDriverWaitsForStillFiresOnTime() {
        let f = Fixture()
        let late = Owner()
        let early = Owner()
        f.timers.arm(f.timers.add(late), at: f.now + .seconds(10))
        f.advance(by: .milliseconds(100))
        let deadline = f.now + .milliseconds(30)
        f.timers.arm(f.timers.add(early), at: deadline)
        f.advance(by: .milliseconds(40))
        #expect(early.fired.count == 1)
        #expect(late.fired.isEmpty)
        f.advance(by: .seconds(10))
        #expect(late.fired.count == 1)
    }
}
