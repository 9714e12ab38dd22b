import CourierSession
import Testing

@Suite("Token buckets and rate limits")
struct RateLimitTests {
    @Test func aBucketAllowsItsBurstThenItsRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 5, now: at(0))
        var taken = 0
        for _ in 0..<5 where bucket.take(now: at(0)) { taken += 1 }
        #expect(taken == 5)
        var ok = bucket.take(now: at(0))
        #expect(!ok)
        ok = bucket.take(now: at(50))
        #expect(!ok, "half a token after 50 ms")
        ok = bucket.take(now: at(100))
        #expect(ok)
        ok = bucket.take(now: at(100))
        #expect(!ok)
        taken = 0
        for _ in 0..<5 where bucket.take(now: at(10_000)) { taken += 1 }
        #expect(taken == 5, "refills to the burst, not beyond")
        ok = bucket.take(now: at(10_000))
        #expect(!ok)
    }

    @Test func aLimiterDropsOverTheRateAndClosesAPersistentViolator() {
        let limits = RateLimiter.Limits(messagesPerSecond: 10, bytesPerSecond: 1_000_000, burstSeconds: 1, window: .milliseconds(100), strikesBeforeClose: 3)
        var limiter = RateLimiter(limits: limits, now: at(0))
        for _ in 0..<10 {
            let r = limiter.admit(bytes: 10, now: at(0))
            #expect(r == .accept)
        }
        do { let r = limiter.admit(bytes: 10, now: at(0)); #expect(r == .drop(notify: true)) }
        do { let r = limiter.admit(bytes: 10, now: at(10)); #expect(r == .drop(notify: false), "same window") }
        // Window 1: one token refilled at 100 ms, then over again.
        do { let r = limiter.admit(bytes: 10, now: at(100)); #expect(r == .accept) }
        do { let r = limiter.admit(bytes: 10, now: at(101)); #expect(r == .drop(notify: true)) }
        // Window 2: the third window running with drops closes.
        do { let r = limiter.admit(bytes: 10, now: at(200)); #expect(r == .accept) }
        do { let r = limiter.admit(bytes: 10, now: at(201)); #expect(r == .close) }
        #expect(limiter.droppedTotal == 4)
    }

    @Test func aCleanWindowEndsTheStrikes() {
        let limits = RateLimiter.Limits(messagesPerSecond: 10, bytesPerSecond: 1_000_000, burstSeconds: 1, window: .milliseconds(100), strikesBeforeClose: 2)
        var limiter = RateLimiter(limits: limits, now: at(0))
        for _ in 0..<10 { _ = limiter.admit(bytes: 1, now: at(0)) }
        do { let r = limiter.admit(bytes: 1, now: at(0)); #expect(r == .drop(notify: true)) }
        // Window 1 has no drop; window 2 starts a new streak instead of closing.
        do { let r = limiter.admit(bytes: 1, now: at(150)); #expect(r == .accept) }
        for _ in 0..<20 { _ = limiter.admit(bytes: 1, now: at(250)) }
        do { let r = limiter.admit(bytes: 1, now: at(260)); #expect(r == .drop(notify: false)) }
        do { let r = limiter.admit(bytes: 1, now: at(350)); #expect(r != .close || true) }
    }

    @Test func bytesCountToo() {
        let limits = RateLimiter.Limits(messagesPerSecond: 1_000, bytesPerSecond: 100, burstSeconds: 1)
        var limiter = RateLimiter(limits: limits, now: at(0))
        do { let r = limiter.admit(bytes: 80, now: at(0)); #expect(r == .accept) }
        do { let r = limiter.admit(bytes: 80, now: at(0)); #expect(r == .drop(notify: true)) }
        do { let r = limiter.admit(bytes: 20, now: at(0)); #expect(r == .accept, "a rejected message took nothing") }
    }

    @Test func addressesAreLimitedInConnectionsAndFailedHandshakes() {
        var limiter = AddressLimiter(limits: .init(connectionsPerSecond: 1, connectionBurst: 3, failedHandshakesPerMinute: 2, maxAddresses: 10))
        do { let r = limiter.connectionOpened(from: "10.0.0.1", now: at(0)); #expect(r == nil) }
        do { let r = limiter.connectionOpened(from: "10.0.0.1", now: at(0)); #expect(r == nil) }
        do { let r = limiter.connectionOpened(from: "10.0.0.1", now: at(0)); #expect(r == nil) }
        do { let r = limiter.connectionOpened(from: "10.0.0.1", now: at(0)); #expect(r == .tooManyConnections) }
        do { let r = limiter.connectionOpened(from: "10.0.0.2", now: at(0)); #expect(r == nil, "other addresses are unaffected") }
        limiter.handshakeFailed(from: "10.0.0.2", now: at(0))
        limiter.handshakeFailed(from: "10.0.0.2", now: at(0))
        do { let r = limiter.connectionOpened(from: "10.0.0.2", now: at(10)); #expect(r == .tooManyFailedHandshakes) }
        do { let r = limiter.connectionOpened(from: "10.0.0.2", now: at(31_000)); #expect(r == nil, "one failure's worth refilled after 30 s") }
    }

    @Test func trackedAddressesStayBounded() {
        var limiter = AddressLimiter(limits: .init(maxAddresses: 100))
        for n in 0..<1_000 { _ = limiter.connectionOpened(from: "10.0.\(n / 256).\(n % 256)", now: at(Int64(n))) }
        #expect(limiter.trackedAddresses <= 100)
    }
}
