import CourierClient
import CourierServer
import CourierSession
import CourierWire
import Foundation
import NIOCore
import Testing

/// A server restart with a drain (`CourierServer.drain`) and a session snapshot: the
/// clients are told to come back (Close 1012 with a retry hint), the next process takes
/// the sessions back, and the clients resume with nothing lost or duplicated.
@Suite("Server restart with a drain", .serialized)
struct RestartIntegrationTests {
    static let fastReconnect = ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(10))
    static let quickDrain = DrainPolicy(retryAfter: .milliseconds(150), jitter: .milliseconds(150), deadline: .seconds(2))

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("courier-sessions-\(UUID().uuidString).json").path
    }

    /// A small receive window: what the subscriber has not read waits on the server.
    static let smallWindow = ReceiveWindow.Limits(initialMessages: 20, initialBytes: 1 << 20, minMessages: 20, minBytes: 1 << 20, maxMessages: 20, maxBytes: 1 << 20)

    func client(_ server: TestServer, user: String) async throws -> CourierClient {
        let token = try await server.token(user: user)
        let client = CourierClient(
            configuration: .init(
                host: "127.0.0.1", port: server.port, authentication: .jwt(token: token), reconnect: Self.fastReconnect, flowControl: Self.smallWindow
            ),
            eventLoopGroup: server.group
        )
        try await client.connect()
        return client
    }

    /// Collects the client's events until `stop` says so.
    func watch(_ client: CourierClient) -> Task<[ConnectionEvent], Never> {
        Task {
            var events: [ConnectionEvent] = []
            for await event in client.events {
                events.append(event)
                if case .closed = event { break }
            }
            return events
        }
    }

    @Test func clientsResumeOnTheNextProcessWithNothingLostOrDuplicated() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try await TestServer.start(drain: Self.quickDrain, sessionSnapshotPath: path)
        let subscriber = try await client(first, user: "sub")
        let publisher = try await client(first, user: "pub")
        let subscriberEvents = watch(subscriber)
        let publisherEvents = watch(publisher)
        _ = try await subscriber.subscribe("restart.topic")
        let count = 400
        // Reliable, acknowledged by the server; the subscriber reads nothing yet, so
        // beyond its window of 20 they wait on the server.
        for n in 0..<count / 2 { try await publisher.sendAcknowledged("m\(n)", to: .topic("restart.topic")) }
        await first.server.drain()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let sessions = saved?["sessions"] as? [[String: Any]] ?? []
        let waiting = sessions.map { ($0["unacknowledged"] as? [Any])?.count ?? 0 }.max() ?? 0
        #expect(sessions.count == 2, "the drain saved both sessions")
        #expect(waiting >= count / 2 - 20, "what the subscriber had not been sent travels in the snapshot (\(waiting) messages)")
        let received = Task { try await ClientServerIntegrationTests().receive(count, from: subscriber, timeout: .seconds(30)) }
        let second = try await TestServer.start(port: first.port, drain: Self.quickDrain, sessionSnapshotPath: path)
        #expect(second.server.sessionCount == 2, "both sessions were taken back")
        #expect(!FileManager.default.fileExists(atPath: path), "the snapshot is deleted once read")
        for n in count / 2..<count { try await publisher.send("m\(n)", to: .topic("restart.topic")) }

        #expect(try await received.value == (0..<count).map { "m\($0)" })
        await subscriber.close()
        await publisher.close()
        for events in [await subscriberEvents.value, await publisherEvents.value] {
            let told = events.contains { if case .disconnected(_, closeCode: 1012) = $0 { true } else { false } }
            let resumed = events.contains { if case .connected(_, resumed: true) = $0 { true } else { false } }
            let failed = events.contains { if case .resumeFailed = $0 { true } else { false } }
            #expect(told, "the client was told the server is restarting: \(events)")
            #expect(resumed && !failed, "the session resumed on the next process: \(events)")
        }
        await second.stop()
        try? await first.group.shutdownGracefully()
    }

    @Test func aSnapshotOlderThanTheResumeWindowRestoresNothing() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = ManualClock(wall: Date())
        let first = try await TestServer.start(resumeWindow: .seconds(30), clock: clock.serverClock, drain: Self.quickDrain, sessionSnapshotPath: path)
        let a = try await client(first, user: "a")
        await first.server.drain()
        await a.close()
        clock.advance(by: .seconds(31))
        let second = try await TestServer.start(resumeWindow: .seconds(30), clock: clock.serverClock, sessionSnapshotPath: path)
        #expect(second.server.sessionCount == 0)
        await second.stop()
        try? await first.group.shutdownGracefully()
    }

    @Test func anUnreadableSnapshotStopsTheStartAndNamesTheFile() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{\"format\": 1, \"sessions\": [".utf8).write(to: URL(fileURLWithPath: path))
        await #expect {
            _ = try await TestServer.start(sessionSnapshotPath: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("cannot be read")
        }
        try Data("{\"format\": 9, \"savedAtMicros\": 0, \"sessions\": []}".utf8).write(to: URL(fileURLWithPath: path))
        await #expect {
            _ = try await TestServer.start(sessionSnapshotPath: path)
        } throws: { error in
            "\(error)".contains("format 9")
        }
    }
}
