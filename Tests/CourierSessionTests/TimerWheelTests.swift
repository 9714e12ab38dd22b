import CourierSession
import Testing

/// The timer wheel with time driven by hand: `at(ms)` is 1 s + ms on the test clock.
@Suite("Timer wheel")
struct TimerWheelTests {
    func wheel(resolution: Duration = .milliseconds(20), slots: Int = 64) -> TimerWheel<Int> {
        TimerWheel(resolution: resolution, slotCount: slots, now: at(0))
    }

    func advance(_ wheel: inout TimerWheel<Int>, to instant: SessionInstant) -> [Int] {
        var fired: [Int] = []
        wheel.advance(to: instant, into: &fired)
        return fired
    }

    @Test func aTimerFiresNotBeforeItsDeadlineAndAtMostOneResolutionLate() {
        var w = wheel()
        let t = w.add(1)
        w.arm(t, at: at(105))  // tick boundary at 120 ms
        #expect(advance(&w, to: at(104)).isEmpty)
        #expect(advance(&w, to: at(105)).isEmpty, "due at 105 ms but its tick ends at 120 ms")
        #expect(advance(&w, to: at(119)).isEmpty)
        #expect(advance(&w, to: at(120)) == [1])
        #expect(w.armedTick(t) == nil, "a fired timer is disarmed")
        #expect(w.armedCount == 0)
    }

    @Test func aDeadlineOnATickBoundaryFiresAtThatBoundary() {
        var w = wheel()
        let t = w.add(7)
        w.arm(t, at: at(100))
        #expect(w.nextTickTime == at(100))
        #expect(advance(&w, to: at(99)).isEmpty)
        #expect(advance(&w, to: at(100)) == [7])
    }

    @Test func everyTimerFiresInTheAdvanceThatPassesItsTickAndInTickOrder() {
        var w = wheel()
        // Armed out of order, over several ticks and two rounds of the 64 slots (1.28 s).
        let deadlines: [Int64] = [900, 41, 3_000, 41, 260, 1_500, 2]
        for (n, ms) in deadlines.enumerated() { w.arm(w.add(n), at: at(ms)) }
        var fired: [Int] = []
        var firedAt: [Int: Int64] = [:]
        var now: Int64 = 0
        while now <= 3_100 {
            for n in advance(&w, to: at(now)) {
                fired.append(n)
                firedAt[n] = now
            }
            now += 20
        }
        #expect(fired.count == deadlines.count)
        for (n, ms) in deadlines.enumerated() {
            let when = try? #require(firedAt[n])
            #expect(when.map { $0 >= ms && $0 < ms + 20 } == true, "timer \(n) due at \(ms) ms fired at \(String(describing: when)) ms")
        }
        let order = fired.map { deadlines[$0] }
        #expect(order == order.sorted(), "fired in tick order: \(order)")
    }

    @Test func aLateAdvanceFiresEverythingDueInTickOrder() {
        var w = wheel()
        for (n, ms) in [300, 20, 700, 100].enumerated() { w.arm(w.add(n), at: at(Int64(ms))) }
        w.arm(w.add(9), at: at(5_000))  // more than a round ahead: stays
        #expect(advance(&w, to: at(1_000)) == [1, 3, 0, 2])
        #expect(w.armedCount == 1)
        #expect(advance(&w, to: at(4_999)).isEmpty)
        #expect(advance(&w, to: at(5_000)) == [9])
    }

    @Test func advancingMoreThanARoundAtOnceStillFiresEachTimerOnce() {
        var w = wheel(slots: 64)
        for n in 0..<200 { w.arm(w.add(n), at: at(Int64(n) * 37)) }
        let fired = advance(&w, to: at(20_000))
        #expect(fired.sorted() == Array(0..<200))
        #expect(w.armedCount == 0)
        #expect(w.nextOccupiedTick == nil)
    }

    @Test func rearmingMovesTheTimerAndDisarmingStopsIt() {
        var w = wheel()
        let a = w.add(1)
        let b = w.add(2)
        w.arm(a, at: at(100))
        w.arm(b, at: at(100))
        w.arm(a, at: at(300))  // moved later
        w.disarm(b)
        #expect(w.armedCount == 1)
        #expect(advance(&w, to: at(200)).isEmpty)
        w.arm(a, at: at(250))  // moved earlier
        #expect(advance(&w, to: at(259)).isEmpty)
        #expect(advance(&w, to: at(260)) == [1])
        #expect(advance(&w, to: at(400)).isEmpty, "fired once, not again at its old tick")
        // A disarmed timer can be armed again; a removed one gives its element back.
        w.arm(b, at: at(500))
        #expect(w.remove(b) == 2)
        #expect(w.armedCount == 0)
        #expect(advance(&w, to: at(1_000)).isEmpty)
    }

    @Test func armingInThePastFiresAtTheNextTick() {
        var w = wheel()
        #expect(advance(&w, to: at(200)).isEmpty)
        let t = w.add(4)
        w.arm(t, at: at(50))
        #expect(w.nextTickTime == at(220))
        #expect(advance(&w, to: at(210)).isEmpty)
        #expect(advance(&w, to: at(220)) == [4])
    }

    @Test func removedHandlesAreReusedWithoutDisturbingOthers() {
        var w = wheel()
        let a = w.add(1)
        let b = w.add(2)
        w.arm(a, at: at(100))
        w.arm(b, at: at(100))
        w.remove(a)
        let c = w.add(3)  // reuses a's storage
        w.arm(c, at: at(100))
        #expect(advance(&w, to: at(100)).sorted() == [2, 3])
    }

    @Test func theNextTickSkipsEmptySlotsAndSeesLaterRounds() {
        var w = wheel(slots: 64)
        #expect(w.nextTickTime == nil)
        let t = w.add(1)
        w.arm(t, at: at(2_000))  // 100 ticks ahead in a 64-slot wheel: slot of tick 36 + 64
        // The driver wakes at the slot's first occurrence, finds it a round early, and goes on.
        let first = try? #require(w.nextTickTime)
        #expect(first == at(720))
        #expect(advance(&w, to: at(720)).isEmpty)
        #expect(w.nextTickTime == at(2_000))
        #expect(advance(&w, to: at(2_000)) == [1])
    }

    @Test func tenThousandConnectionsReArmedOnEveryMessageFireOncePerHeartbeat() {
        // 10,000 timers at 1 s heartbeats spread over the second; each is moved 5 times
        // before it fires (messages arriving), then re-armed a second later, for 3 s.
        var w = TimerWheel<Int>(resolution: .milliseconds(20), now: at(0))
        var timers: [TimerWheel<Int>.Timer] = []
        var due: [Int64] = []
        for n in 0..<10_000 {
            let t = w.add(n)
            timers.append(t)
            let deadline = Int64(n % 1_000) + 1_000
            for shift in stride(from: 5, through: 0, by: -1) { w.arm(t, at: at(deadline + Int64(shift) * 3)) }
            due.append(deadline)
        }
        #expect(w.armedCount == 10_000)
        var fires = 0
        var now: Int64 = 0
        while now <= 4_000 {
            for n in advance(&w, to: at(now)) {
                fires += 1
                #expect(now >= due[n] && now < due[n] + 20, "timer \(n) due at \(due[n]) fired at \(now)")
                if due[n] < 3_000 {
                    due[n] += 1_000
                    w.arm(timers[n], at: at(due[n]))
                }
            }
            now += 20
        }
        #expect(fires == 30_000)
        #expect(w.armedCount == 0)
    }
}
