import CourierChaos
import CourierClient
import CourierServer
import CourierSession
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Acknowledged delivery through a network that fails: eight clients in a ring (each
/// publishes to the next one's topic and receives from the previous one) talk to a real
/// server through a `ChaosProxy` that delays, splits, resets and black-holes their
/// connections. Every acknowledged message must arrive exactly once and in order.
@Suite("Delivery through an adverse network", .serialized)
struct ChaosDeliveryTests {
    static let clients = 8
    static let messagesPerClient = 40
    static let heartbeat = Duration.milliseconds(250)
    static let reconnect = ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(10))
    static let quickDrain = DrainPolicy(retryAfter: .milliseconds(100), jitter: .milliseconds(200), deadline: .seconds(2))

    /// Small chunks and jitter both ways, a reset every 800 ms per connection on average,
    /// and connections that go silent for good (only heartbeats find them).
    static let hostile = ChaosProfile(
        name: "test-hostile",
        clientToServer: .init(latencyMillis: 1, jitterMillis: 3, maxChunkBytes: 300),
        serverToClient: .init(latencyMillis: 1, jitterMillis: 3, maxChunkBytes: 300),
        resets: .init(meanIntervalMillis: 800),
        blackHoles: .init(meanIntervalMillis: 1_500, durationMillis: nil, directions: .both)
    )

    static func logger(_ index: Int) -> Logger {
        var logger = Logger(label: "ring-\(index)")
        logger.logLevel = ProcessInfo.processInfo.environment["COURIER_TEST_LOG"] == nil ? .critical : .trace
        return logger
    }

    /// What one client saw: the sequence numbers it received from its predecessor, and
    /// its connection events.
    final class Ledger: Sendable {
        let received = NIOLockedValueBox<[Int]>([])
        let events = NIOLockedValueBox<[ConnectionEvent]>([])

        var resumed: Int { events.withLockedValue { $0.filter { if case .connected(_, resumed: true) = $0 { true } else { false } }.count } }
        var resumeFailures: Int { events.withLockedValue { $0.filter { if case .resumeFailed = $0 { true } else { false } }.count } }
    }

    struct Ring {
        let clients: [CourierClient]
        let ledgers: [Ledger]
        let readers: [Task<Void, any Error>]
        let watchers: [Task<Void, Never>]
    }

    /// Connects the clients through the proxy, subscribes each to its topic, and starts
    /// reading.
    func ring(_ server: TestServer, proxy: ChaosProxy) async throws -> Ring {
        var clients: [CourierClient] = []
        var ledgers: [Ledger] = []
        var readers: [Task<Void, any Error>] = []
        var watchers: [Task<Void, Never>] = []
        for index in 0..<Self.clients {
            let (client, ledger, watcher) = try await subscribedClient(index, server: server, proxy: proxy)
            watchers.append(watcher)
            readers.append(Task {
                for try await message in client.messages {
                    let text = String(buffer: message.payload)
                    guard let number = text.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
                    ledger.received.withLockedValue { $0.append(number) }
                    if number == Self.messagesPerClient - 1 { break }
                }
            })
            clients.append(client)
            ledgers.append(ledger)
        }
        return Ring(clients: clients, ledgers: ledgers, readers: readers, watchers: watchers)
    }

    /// Ring member `index`, connected and subscribed to its topic. The proxy may break
    /// the connection before that is done: `connect()` fails, or `subscribe` does with
    /// `connectionLost` (the Subscribe went out; whether the server took it is unknown).
    /// As an application would, this then closes that client and starts a new session.
    func subscribedClient(_ index: Int, server: TestServer, proxy: ChaosProxy) async throws -> (CourierClient, Ledger, Task<Void, Never>) {
        var attempt = 0
        while true {
            attempt += 1
            let token = try await server.token(user: "ring-\(index)")
            let client = CourierClient(
                configuration: .init(
                    host: "127.0.0.1", port: proxy.port, authentication: .jwt(token: token), reconnect: Self.reconnect,
                    handshakeTimeout: .seconds(1)
                ),
                eventLoopGroup: server.group, logger: Self.logger(index), randomNumberGenerator: ChaosRandom(seed: UInt64(index * 100 + attempt))
            )
            let ledger = Ledger()
            let watcher = Task {
                for await event in client.events {
                    ledger.events.withLockedValue { $0.append(event) }
                    if case .closed = event { break }
                }
            }
            do {
                try await client.connect()
                _ = try await client.subscribe("chaos.\(index)")
                return (client, ledger, watcher)
            } catch {
                await client.close()
                watcher.cancel()
                if attempt == 5 { throw error }
            }
        }
    }

    /// Every client sends `range` to the next one's topic, each acknowledged by the server.
    func send(_ range: Range<Int>, on ring: Ring) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in ring.clients.enumerated() {
                group.addTask {
                    for number in range {
                        try await client.sendAcknowledged("\(index):\(number)", to: .topic("chaos.\((index + 1) % Self.clients)"))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits for every reader to have its last message (or the deadline), then checks
    /// exactly-once, in-order delivery and that nothing failed to resume.
    func finish(_ ring: Ring, deadline: Duration) async throws {
        let end = ContinuousClock.now + deadline
        while ring.ledgers.contains(where: { $0.received.withLockedValue { $0.last } != Self.messagesPerClient - 1 }), ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        for (index, ledger) in ring.ledgers.enumerated() {
            let received = ledger.received.withLockedValue { $0 }
            #expect(received == Array(0..<Self.messagesPerClient), "client \(index) received \(received.count): \(received)")
            #expect(ledger.resumeFailures == 0, "client \(index) never lost its session: \(ledger.events.withLockedValue { $0 })")
        }
        for reader in ring.readers { reader.cancel() }
    }

    @Test(.timeLimit(.minutes(1)))
    func acknowledgedMessagesSurviveResetsAndBlackHolesExactlyOnceInOrder() async throws {
        let server = try await TestServer.start(heartbeat: Self.heartbeat)
        let proxy = try await ChaosProxy.start(.init(targetHost: "127.0.0.1", targetPort: server.port, profile: Self.hostile, seed: 42))
        let started = ContinuousClock.now
        let ring = try await ring(server, proxy: proxy)
        try await send(0..<Self.messagesPerClient, on: ring)
        try await finish(ring, deadline: .seconds(15))
        let report = proxy.report
        let resumed = ring.ledgers.map(\.resumed).reduce(0, +)
        #expect(report.resets > 0 && report.blackHoles > 0, "the proxy did break connections: \(report)")
        #expect(resumed > 0, "clients resumed \(resumed) times")
        #expect(ContinuousClock.now - started < .seconds(20))
        // A black hole is found by a heartbeat: within 2.5 intervals of silence, plus the
        // tick that notices it, up to one interval late here; a tick over half an
        // interval late (this side stalled) judges one interval later (§13): 4.5 in all.
        for detection in report.detections {
            #expect(detection.after <= Self.heartbeat * 9 / 2, "black hole closed after \(detection.after) by the \(detection.by)")
        }
        await proxy.stop()
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerRestartUnderFaultsLosesAndDuplicatesNothing() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courier-chaos-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try await TestServer.start(heartbeat: Self.heartbeat, drain: Self.quickDrain, sessionSnapshotPath: path)
        let proxy = try await ChaosProxy.start(.init(targetHost: "127.0.0.1", targetPort: first.port, profile: Self.hostile, seed: 7))
        let ring = try await ring(first, proxy: proxy)
        let half = Self.messagesPerClient / 2
        try await send(0..<half, on: ring)
        // The rest is sent while the server drains, is down, and comes back.
        let rest = Task { try await send(half..<Self.messagesPerClient, on: ring) }
        try await Task.sleep(for: .milliseconds(50))
        await first.server.drain()
        let second = try await TestServer.start(heartbeat: Self.heartbeat, port: first.port, drain: Self.quickDrain, sessionSnapshotPath: path)
        try await rest.value
        try await finish(ring, deadline: .seconds(15))
        let told = ring.ledgers.filter { $0.events.withLockedValue { $0.contains { if case .disconnected(_, closeCode: 1012) = $0 { true } else { false } } } }
        #expect(!told.isEmpty, "clients connected during the drain were told to come back")
        await proxy.stop()
        await second.stop()
        try? await first.group.shutdownGracefully()
    }
}
