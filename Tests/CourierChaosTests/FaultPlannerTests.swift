import CourierChaos
import Testing

/// The planner decides every fault from the profile and the seed; time is passed in.
@Suite("Fault planner")
struct FaultPlannerTests {
    static let profile = ChaosProfile(
        name: "t", resets: .init(meanIntervalMillis: 1_000), blackHoles: .init(meanIntervalMillis: 2_000, durationMillis: 500),
        outages: [.init(atMillis: 10_000, durationMillis: 2_000), .init(atMillis: 20_000, durationMillis: 1)]
    )

    func plans(seed: UInt64, count: Int) -> [ConnectionPlan] {
        var planner = FaultPlanner(profile: Self.profile, seed: seed)
        return (0..<count).compactMap { n in
            if case .accept(let plan) = planner.admit(at: .milliseconds(n * 10)) { return plan }
            return nil
        }
    }

    @Test func theSameSeedGivesTheSameFaults() {
        #expect(plans(seed: 7, count: 50) == plans(seed: 7, count: 50))
        #expect(plans(seed: 7, count: 50).map(\.resetAt) != plans(seed: 8, count: 50).map(\.resetAt))
    }

    @Test func resetsAreSpreadAroundTheirMean() {
        let delays = plans(seed: 3, count: 2_000).map { plan in
            let delay = plan.resetAt! - plan.openedAt
            return Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18
        }
        let mean = delays.reduce(0, +) / Double(delays.count)
        #expect(abs(mean - 1.0) < 0.1, "mean reset interval \(mean) s for a 1 s profile")
        #expect(delays.allSatisfy { $0 >= 0.001 && $0 <= 20 }, "each delay within [1 ms, 20 means]")
    }

    @Test func blackHolesFollowEachOtherAndLastTheirDuration() {
        var plan = plans(seed: 11, count: 1)[0]
        var from = plan.openedAt
        for _ in 0..<5 {
            let hole = plan.nextBlackHole(after: from)!
            #expect(hole.start > from)
            #expect(hole.end == hole.start + .milliseconds(500))
            #expect(hole.directions == .both)
            from = hole.end!
        }
    }

    @Test func aConnectionDuringAnOutageIsRefusedAndOnlyThen() {
        var planner = FaultPlanner(profile: Self.profile, seed: 1)
        #expect(planner.outage(at: .milliseconds(9_999)) == nil)
        #expect(planner.admit(at: .milliseconds(10_000)) == .refuse(outage: Self.profile.outages[0]))
        #expect(planner.admit(at: .milliseconds(11_999)) == .refuse(outage: Self.profile.outages[0]))
        guard case .accept(let plan) = planner.admit(at: .milliseconds(12_000)) else {
            Issue.record("the outage ends at 12 s")
            return
        }
        #expect(plan.index == 0, "refused connections take no number")
        #expect(planner.nextOutage(after: .milliseconds(12_000)) == Self.profile.outages[1])
        #expect(planner.nextOutage(after: .milliseconds(20_000)) == nil)
    }

    @Test func aProfileWithoutFaultsPlansNone() {
        var planner = FaultPlanner(profile: .clean, seed: 1)
        guard case .accept(var plan) = planner.admit(at: .zero) else {
            Issue.record("clean accepts")
            return
        }
        #expect(plan.resetAt == nil)
        #expect(plan.nextBlackHole(after: .zero) == nil)
    }
}
