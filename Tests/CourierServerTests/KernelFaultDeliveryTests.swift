import CourierClient
import CourierServer
import CourierSession
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The same guarantee as `ChaosDeliveryTests`, with faults the kernel makes (root
/// only): TCP resets from an iptables `REJECT --reject-with tcp-reset` rule, a
/// half-open connection from `DROP` rules (only heartbeats can find it), and sockets
/// destroyed by `ss -K`. Four clients in a ring exchange acknowledged messages while
/// the fault hits; every message arrives exactly once and in order.
@Suite("Delivery through kernel-made faults (root)", .serialized, .enabled(if: KernelFaults.enabled, KernelFaults.skipReason))
struct KernelFaultDeliveryTests {
    static let clients = 4
    static let messages = 40
    static let heartbeat = Duration.milliseconds(200)
    static let reconnect = ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(1))

    final class Ledger: Sendable {
        let received = NIOLockedValueBox<[Int]>([])
        let resumes = NIOLockedValueBox(0)
        let resumeFailures = NIOLockedValueBox(0)
    }

    struct Ring {
        let clients: [CourierClient]
        let ledgers: [Ledger]
        let tasks: [Task<Void, any Error>]
    }

    /// Clients connect from `sourceAddress` (a loopback address of their own, so a rule
    /// can single out their packets).
    func ring(_ server: TestServer, sourceAddress: String) async throws -> Ring {
        var clients: [CourierClient] = []
        var ledgers: [Ledger] = []
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<Self.clients {
            var configuration = CourierClient.Configuration(
                host: "127.0.0.1", port: server.port, authentication: .jwt(token: try await server.token(user: "k\(index)")),
                reconnect: Self.reconnect, handshakeTimeout: .seconds(1)
            )
            configuration.localAddress = sourceAddress
            let client = CourierClient(configuration: configuration, eventLoopGroup: server.group)
            let ledger = Ledger()
            tasks.append(Task {
                for await event in client.events {
                    if case .connected(_, resumed: true) = event { ledger.resumes.withLockedValue { $0 += 1 } }
                    if case .resumeFailed = event { ledger.resumeFailures.withLockedValue { $0 += 1 } }
                    if case .closed = event { break }
                }
            })
            try await client.connect()
            _ = try await client.subscribe("kernel.\(index)")
            tasks.append(Task {
                for try await message in client.messages {
                    guard let number = String(buffer: message.payload).split(separator: ":").last.flatMap({ Int($0) }) else { continue }
                    ledger.received.withLockedValue { $0.append(number) }
                    if number == Self.messages - 1 { break }
                }
            })
            clients.append(client)
            ledgers.append(ledger)
        }
        return Ring(clients: clients, ledgers: ledgers, tasks: tasks)
    }

    /// Sends every message (each acknowledged) while `fault` runs beside the sending.
    func exchange(_ ring: Ring, during fault: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in ring.clients.enumerated() {
                group.addTask {
                    for number in 0..<Self.messages {
                        try await client.sendAcknowledged("\(index):\(number)", to: .topic("kernel.\((index + 1) % Self.clients)"))
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            group.addTask(operation: fault)
            try await group.waitForAll()
        }
        let end = ContinuousClock.now + .seconds(15)
        while ring.ledgers.contains(where: { $0.received.withLockedValue { $0.last } != Self.messages - 1 }), ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        for (index, ledger) in ring.ledgers.enumerated() {
            let received = ledger.received.withLockedValue { $0 }
            #expect(received == Array(0..<Self.messages), "client \(index) received \(received.count): \(received)")
            #expect(ledger.resumeFailures.withLockedValue { $0 } == 0, "client \(index) kept its session")
        }
        #expect(ring.ledgers.map { $0.resumes.withLockedValue { $0 } }.reduce(0, +) > 0, "the fault did cut connections")
        for client in ring.clients { await client.close() }
        for task in ring.tasks { task.cancel() }
    }

    @Test(.timeLimit(.minutes(1)))
    func tcpResetsFromIptablesLoseAndDuplicateNothing() async throws {
        let server = try await TestServer.start(heartbeat: Self.heartbeat)
        defer { Task { await server.stop() } }
        let ring = try await ring(server, sourceAddress: "127.0.0.61")
        let rule = ["INPUT", "-s", "127.0.0.61", "-p", "tcp", "--dport", "\(server.port)", "-j", "REJECT", "--reject-with", "tcp-reset"]
        try await exchange(ring) {
            var faults = KernelFaults()
            defer { faults.remove() }
            for _ in 0..<2 {
                try await Task.sleep(for: .milliseconds(60))
                try faults.insert(rule)
                try await Task.sleep(for: .milliseconds(100))
                faults.remove()
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aHalfOpenConnectionFromDropRulesIsFoundByHeartbeatsAndResumed() async throws {
        let server = try await TestServer.start(heartbeat: Self.heartbeat)
        defer { Task { await server.stop() } }
        let ring = try await ring(server, sourceAddress: "127.0.0.62")
        try await exchange(ring) {
            var faults = KernelFaults()
            defer { faults.remove() }
            try await Task.sleep(for: .milliseconds(60))
            // Nothing in either direction, and no reset: both ends see a silent peer.
            try faults.insert(["INPUT", "-s", "127.0.0.62", "-j", "DROP"])
            try faults.insert(["INPUT", "-d", "127.0.0.62", "-j", "DROP"])
            // Past the 2.5-interval silence limit (500 ms), then the network heals.
            try await Task.sleep(for: .milliseconds(900))
            faults.remove()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func socketsDestroyedWithSsKLoseAndDuplicateNothing() async throws {
        let server = try await TestServer.start(heartbeat: Self.heartbeat)
        defer { Task { await server.stop() } }
        let ring = try await ring(server, sourceAddress: "127.0.0.63")
        let port = server.port
        try await exchange(ring) {
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(50))
                try KernelFaults.killSockets(toPort: port)
            }
        }
    }
}
