import CourierChaos
import Testing

/// Chunks, latency, jitter and bandwidth of one direction, with made-up instants.
@Suite("Direction shaper")
struct DirectionShaperTests {
    func shaper(_ shaping: ChaosProfile.Shaping, seed: UInt64 = 1) -> DirectionShaper {
        DirectionShaper(shaping: shaping, random: ChaosRandom(seed: seed))
    }

    @Test func withoutShapingBytesGoOutAtOnceAndWhole() {
        var shaper = shaper(.none)
        #expect(shaper.plan(bytes: 1_000, at: .milliseconds(5)) == [.init(bytes: 1_000, at: .milliseconds(5))])
        #expect(shaper.plan(bytes: 0, at: .milliseconds(5)).isEmpty)
    }

    @Test func chunksAreSmallAndAddUp() {
        var shaper = shaper(.init(maxChunkBytes: 64))
        let deliveries = shaper.plan(bytes: 10_000, at: .zero)
        #expect(deliveries.map(\.bytes).reduce(0, +) == 10_000)
        #expect(deliveries.allSatisfy { (1...64).contains($0.bytes) })
        #expect(Set(deliveries.map(\.bytes)).count > 10, "sizes vary")
        #expect(deliveries.count > 10_000 / 64)
    }

    @Test func latencyAndJitterDelayButNeverReorder() {
        var shaper = shaper(.init(latencyMillis: 20, jitterMillis: 30, maxChunkBytes: 100))
        var last = Duration.zero
        for read in 0..<100 {
            let now = Duration.milliseconds(read)
            for delivery in shaper.plan(bytes: 250, at: now) {
                #expect(delivery.at >= now + .milliseconds(20))
                #expect(delivery.at >= last, "a chunk never overtakes the one before it")
                last = delivery.at
            }
        }
        #expect(last <= .milliseconds(99 + 20 + 30))
    }

    @Test func bandwidthSpacesTheBytes() {
        var shaper = shaper(.init(bandwidthBytesPerSecond: 10_000, maxChunkBytes: 1_000))
        let deliveries = shaper.plan(bytes: 50_000, at: .seconds(1))
        #expect(deliveries.last?.at == .seconds(6), "50 kB at 10 kB/s take 5 s")
        // The link is busy until then: the next read waits for it.
        #expect(shaper.plan(bytes: 10, at: .seconds(2)).first?.at == .seconds(6) + .milliseconds(1))
    }

    @Test func theSameSeedShapesTheSameWay() {
        let shaping = ChaosProfile.Shaping(latencyMillis: 1, jitterMillis: 9, maxChunkBytes: 33)
        var a = shaper(shaping, seed: 5)
        var b = shaper(shaping, seed: 5)
        #expect(a.plan(bytes: 5_000, at: .zero) == b.plan(bytes: 5_000, at: .zero))
    }
}
