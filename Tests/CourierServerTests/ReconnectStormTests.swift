import CourierChaos
import CourierClient
import CourierServer
import CourierSession
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// A reconnect storm in miniature (issue 8; `courier bench reconnect-storm` is the
/// 10,000-client version): 100 clients are told `Close 1012` by a draining server and
/// resume on the next process. Each waits the retry hint plus its own uniform share of
/// the jitter window, so their returns spread over the window instead of arriving at once.
@Suite("Reconnect storm after a restart", .serialized)
struct ReconnectStormTests {
    static let clients = 100
    static let retryAfter = Duration.milliseconds(200)
    static let jitter = Duration.milliseconds(1_000)
    static let bucket = Duration.milliseconds(100)

    @Test(.timeLimit(.minutes(1)))
    func clientsToldToComeBackReturnSpreadOverTheJitterWindow() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courier-storm-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let drain = DrainPolicy(retryAfter: Self.retryAfter, jitter: Self.jitter, deadline: .seconds(3))
        let first = try await TestServer.start(drain: drain, sessionSnapshotPath: path)
        let returns = NIOLockedValueBox<[Duration]>([])
        let failures = NIOLockedValueBox(0)
        let drainStarted = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        var clients: [CourierClient] = []
        var watchers: [Task<Void, Never>] = []
        for index in 0..<Self.clients {
            let configuration = CourierClient.Configuration(
                host: "127.0.0.1", port: first.port, authentication: .jwt(token: try await first.token(user: "storm-\(index)")),
                reconnect: ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(1))
            )
            // Each client's own seeded jitter source: the schedule is the same on every run.
            let client = CourierClient(configuration: configuration, eventLoopGroup: first.group, randomNumberGenerator: ChaosRandom(seed: UInt64(index + 1)))
            watchers.append(Task {
                for await event in client.events {
                    switch event {
                    case .connected(_, resumed: true):
                        if let start = drainStarted.withLockedValue({ $0 }) { returns.withLockedValue { $0.append(ContinuousClock.now - start) } }
                    case .resumeFailed:
                        failures.withLockedValue { $0 += 1 }
                    case .closed:
                        return
                    default:
                        break
                    }
                }
            })
            try await client.connect()
            clients.append(client)
        }

        drainStarted.withLockedValue { $0 = ContinuousClock.now }
        await first.server.drain()
        let second = try await TestServer.start(port: first.port, drain: drain, sessionSnapshotPath: path)
        let deadline = ContinuousClock.now + .seconds(10)
        while returns.withLockedValue({ $0.count }) < Self.clients, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }

        let times = returns.withLockedValue { $0 }.sorted()
        var histogram = [Int](repeating: 0, count: 20)
        for time in times { histogram[min(Int(time / Self.bucket), histogram.count - 1)] += 1 }
        print("reconnect storm: returns per 100 ms after the drain began: \(histogram)")
        #expect(times.count == Self.clients, "every client came back and resumed (\(times.count))")
        #expect(failures.withLockedValue { $0 } == 0)
        #expect((times.first ?? .zero) >= Self.retryAfter, "nobody came back before the hint: \(times.first.map { "\($0)" } ?? "-")")
        // The window is retryAfter ..< retryAfter + jitter: ten 100 ms buckets, 10 returns each
        // on average. Uniform draws stay well under twice that; a busy machine delays some
        // returns into the next buckets, hence the margins (no bucket above 2.5 times the
        // mean, returns in at least 8 of the window's 10 buckets).
        let mean = Double(Self.clients) / 10
        #expect(Double(histogram.max() ?? 0) <= 2.5 * mean, "returns bunched: \(histogram)")
        #expect(histogram[2..<12].filter { $0 > 0 }.count >= 8, "returns spread over the window: \(histogram)")
        #expect((times.last ?? .zero) < .seconds(3), "all back within 3 s: \(histogram)")
        for client in clients { await client.close() }
        for watcher in watchers { await watcher.value }
        await second.stop()
        try? await first.group.shutdownGracefully()
    }
}
