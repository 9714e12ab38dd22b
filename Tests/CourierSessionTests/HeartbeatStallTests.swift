import CourierSession
import Testing

/// Dead-peer detection when this side itself stalled (`docs/PROTOCOL.md` §13): a tick
/// that runs more than half an interval after its wakeup does not count the stall's
/// silence against the peer. Interval 1 s throughout; times in milliseconds.
@Suite("Heartbeats after a stall of this side")
struct HeartbeatStallTests {
    func isPing(_ action: HeartbeatState.Action) -> Bool {
        if case .sendPing = action { return true }
        return false
    }

    func isDead(_ action: HeartbeatState.Action) -> Bool {
        if case .peerDead = action { return true }
        return false
    }

    @Test func onTimeTicksFindASilentPeerDeadAfter2Point5Intervals() {
        var heartbeat = HeartbeatState(interval: .seconds(1), now: at(0))
        #expect(isPing(heartbeat.tick(now: at(1_000))))
        #expect(isPing(heartbeat.tick(now: at(2_000))))
        #expect(heartbeat.nextWakeup == at(2_500))
        #expect(heartbeat.tick(now: at(2_499)) == .none)
        #expect(heartbeat.tick(now: at(2_500)) == .peerDead(silentFor: .milliseconds(2_500)))
    }

    @Test func aTickWithinHalfAnIntervalOfItsWakeupStillJudges() {
        var heartbeat = HeartbeatState(interval: .seconds(1), now: at(0))
        #expect(isPing(heartbeat.tick(now: at(1_000))))
        #expect(isPing(heartbeat.tick(now: at(2_000))))
        // Due at 2,500; 500 ms late is within the tolerance.
        #expect(isDead(heartbeat.tick(now: at(3_000))))
    }

    @Test func aLateTickPingsAndGivesThePeerOneMoreInterval() {
        var heartbeat = HeartbeatState(interval: .seconds(1), now: at(0))
        #expect(isPing(heartbeat.tick(now: at(1_000))))
        // This side stalled from just after 1,000 to 5,000: the tick due at 2,000 runs
        // 3 s late, past the 2,500 silence limit. Not dead: a ping, and until 6,000.
        #expect(isPing(heartbeat.tick(now: at(5_000))))
        #expect(heartbeat.nextWakeup == at(6_000))
        #expect(heartbeat.tick(now: at(5_999)) == .none)
        // The answer never came: dead at 6,000 (an on-time tick).
        #expect(isDead(heartbeat.tick(now: at(6_000))))
    }

    @Test func whatArrivesAfterTheStallKeepsThePeerAlive() {
        var heartbeat = HeartbeatState(interval: .seconds(1), now: at(0))
        #expect(isPing(heartbeat.tick(now: at(1_000))))
        #expect(isPing(heartbeat.tick(now: at(5_000))))
        // The backlog is read (the peer's pong or anything else) before the grace ends.
        heartbeat.received(now: at(5_010))
        #expect(heartbeat.nextWakeup == at(6_000))
        #expect(isPing(heartbeat.tick(now: at(6_000))))
        #expect(isPing(heartbeat.tick(now: at(7_000))))
        // Ordinary detection resumes from the last message: dead 2.5 s after 5,010.
        #expect(heartbeat.nextWakeup == at(7_510))
        #expect(heartbeat.tick(now: at(7_509)) == .none)
        #expect(isDead(heartbeat.tick(now: at(7_510))))
    }

    @Test func aSideThatKeepsStallingNeverJudgesThePeer() {
        var heartbeat = HeartbeatState(interval: .seconds(1), now: at(0))
        var now: Int64 = 0
        for _ in 0..<10 {
            now += 3_000  // every tick 2 s late
            #expect(!isDead(heartbeat.tick(now: at(now))))
        }
    }
}
