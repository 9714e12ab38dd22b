// Fan-out of the Courier server: mallocs per delivery and deliveries per second.
//
// An in-process CourierServer (1 event-loop thread, no topic history, no heartbeats,
// no rate limits), one publisher and N subscribers of one topic, on raw sockets of this
// process (FanoutRig.swift). Every iteration publishes 1,000,000 / N messages of 64 B,
// 16 per WebSocket message, and ends when every subscriber has read every message:
// 1,000,000 deliveries per iteration, for every N.
//
// Two variants per N:
//   Fanout-N            lockstep: each publisher WebSocket message is fanned out
//                       completely before the next is sent, so every subscriber gets one
//                       write per 16 messages: the malloc count is exact and repeatable,
//                       and it is the one pinned in Thresholds/.
//   Fanout-N-pipelined  the publisher runs up to 1,024 messages ahead of the deliveries:
//                       the server coalesces publications into fewer writes, by timing,
//                       so fewer and less repeatable mallocs, more deliveries/s. No
//                       threshold.
//
// Units: an "operation" is 1,000 deliveries (`scalingFactor: .kilo` over the 1,000,000
// deliveries of an iteration). So the `*` columns read:
//   mallocCountTotal *  = mallocs per 1,000 deliveries (divide by 1,000 for per delivery)
//   wallClock *         = µs per 1,000 deliveries
//   deliveries/s        = a custom metric, not scaled: deliveries per second
// The malloc count is the whole process's (every thread) between startMeasurement and
// stopMeasurement. The subscribers' reader threads and the publisher allocate nothing
// there (DeliveryReaders.swift, FrameScanner.swift), so the count is the server's.
// See Benchmarks/README.md.

import Benchmark

let benchmarks: @Sendable () -> Void = {
    #if os(Linux)
    let deliveriesPerIteration = 1_000_000
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, FanoutRig.deliveriesPerSecond],
        timeUnits: .microseconds,
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(20),
        maxIterations: 10
    )
    // Lockstep: exact malloc counts, pinned in Thresholds/ (2 % for the harness's own noise).
    let lockstep = Benchmark.Configuration(
        metrics: Benchmark.defaultConfiguration.metrics, timeUnits: .microseconds, warmupIterations: 1, scalingFactor: .kilo,
        maxDuration: .seconds(20), maxIterations: 10,
        thresholds: [.mallocCountTotal: BenchmarkThresholds(relative: [.p90: 2.0])]
    )

    // 5,000 is there because 10,000 needs 20,256 descriptors in one process (client and
    // server sides), more than some machines allow (this one: hard limit 20,000).
    for subscribers in [100, 1_000, 5_000, 10_000] {
        if let reason = FanoutRig.raiseFileLimit(subscribers: subscribers) {
            print("Skipping Fanout-\(subscribers) and Fanout-\(subscribers)-pipelined: \(reason).")
            continue
        }
        let variants: [(name: String, window: Int, configuration: Benchmark.Configuration)] = [
            ("Fanout-\(subscribers)", FanoutRig.messagesPerFrame, lockstep),
            ("Fanout-\(subscribers)-pipelined", 1_024, Benchmark.defaultConfiguration),
        ]
        for variant in variants {
            let rig = FanoutRig(subscribers: subscribers, deliveriesPerIteration: deliveriesPerIteration, window: variant.window)
            Benchmark(variant.name, configuration: variant.configuration) { benchmark in
                rig.iteration(benchmark)
            } setup: {
                try await rig.setUp()
            } teardown: {
                await rig.tearDown()
            }
        }
    }
    #else
    print("Skipping the Fanout benchmarks: their reader threads use epoll (Linux only).")
    #endif
}
