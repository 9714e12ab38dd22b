import CourierClient
import CourierServer
import CourierSession
import CourierWire
import Foundation
import NIOCore
import Testing

/// The Swift client against a real server on 127.0.0.1: delivery, loss of the TCP
/// connection mid-flight, resume, resume after expiry, permissions.
@Suite("Client and server together", .serialized)
struct ClientServerIntegrationTests {
    static let fastReconnect = ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(10))

    func client(_ server: TestServer, port: Int? = nil, user: String = "alice", publish: [String] = [">"], subscribe: [String] = [">"]) async throws -> CourierClient {
        let token = try await server.token(user: user, publish: publish, subscribe: subscribe)
        let client = CourierClient(
            configuration: .init(host: "127.0.0.1", port: port ?? server.port, authentication: .jwt(token: token), reconnect: Self.fastReconnect),
            eventLoopGroup: server.group
        )
        try await client.connect()
        return client
    }

    /// Reads `count` messages and returns their texts.
    func receive(_ count: Int, from client: CourierClient, timeout: Duration = .seconds(20)) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                var texts: [String] = []
                for try await message in client.messages {
                    texts.append(String(buffer: message.payload))
                    if texts.count == count { break }
                }
                return texts
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("timed out waiting for \(count) messages")
            }
            let result = try await group.next()!
            group.cancelAll()
            return result
        }
    }

    @Test func publishedMessagesReachTheSubscriberOnceAndInOrder() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let subscriber = try await client(server, user: "sub")
        let publisher = try await client(server, user: "pub")
        _ = try await subscriber.subscribe("room.1")
        for n in 0..<500 { try await publisher.send("m\(n)", to: .topic("room.1")) }
        let received = try await receive(500, from: subscriber)
        #expect(received == (0..<500).map { "m\($0)" })
        await publisher.close()
        await subscriber.close()
    }

    @Test func killingTheConnectionMidFlightLosesAndDuplicatesNothing() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let proxy = try await TestProxy.start(targetPort: server.port)
        defer { Task { await proxy.stop() } }
        let a = try await client(server, port: proxy.port, user: "a")  // behind the failing network
        let b = try await client(server, user: "b")
        let resumes = Task {
            var count = 0
            for await event in a.events {
                if case .connected(_, resumed: true) = event { count += 1 }
                if case .closed = event { break }
            }
            return count
        }
        _ = try await a.subscribe("to.a")
        _ = try await b.subscribe("to.b")
        let count = 600
        async let aReceived = receive(count, from: a)
        async let bReceived = receive(count, from: b)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for n in 0..<count { try await a.send("a\(n)", to: .topic("to.b")) } }
            group.addTask { for n in 0..<count { try await b.send("b\(n)", to: .topic("to.a")) } }
            group.addTask {
                // Cut the network three times while both directions are busy.
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(30))
                    await proxy.sever()
                }
            }
            try await group.waitForAll()
        }
        #expect(try await aReceived == (0..<count).map { "b\($0)" })
        #expect(try await bReceived == (0..<count).map { "a\($0)" })
        await a.close()
        await b.close()
        #expect(await resumes.value >= 1, "the connection was cut and resumed")
    }

    @Test func anExpiredSessionIsReportedAsResumeFailedWithWhatWasNotAcknowledged() async throws {
        let clock = ManualClock(wall: Date())
        let server = try await TestServer.start(resumeWindow: .seconds(30), clock: clock.serverClock)
        defer { Task { await server.stop() } }
        let proxy = try await TestProxy.start(targetPort: server.port)
        defer { Task { await proxy.stop() } }
        let a = try await client(server, port: proxy.port, user: "a")
        try await a.sendAcknowledged("first", to: .topic("nobody.listens"))

        // The network swallows everything: these are sent but never acknowledged.
        proxy.blackHole(true)
        try await a.send("lost-1", to: .topic("nobody.listens"))
        try await a.send("lost-2", to: .topic("nobody.listens"))
        try await Task.sleep(for: .milliseconds(50))
        proxy.refuse(true)
        await proxy.sever()
        proxy.blackHole(false)
        try await waitUntil { server.server.connectionCount == 0 }
        clock.advance(by: .seconds(31))
        #expect(server.server.sweepExpiredSessions() == 1)
        proxy.refuse(false)

        var failure: (HandshakeResponse.ResumeFailure, [CourierMessage])?
        var reconnectedFresh = false
        for await event in a.events {
            switch event {
            case .resumeFailed(let reason, let unacknowledged): failure = (reason, unacknowledged)
            case .connected(_, let resumed): reconnectedFresh = !resumed
            default: break
            }
            if failure != nil && reconnectedFresh { break }
        }
        #expect(failure?.0 == .expired)
        #expect(failure?.1.compactMap { m -> String? in
            if case .textData(let d) = m.body { return String(buffer: d.payload) } else { return nil }
        } == ["lost-1", "lost-2"])
        await a.close()
    }

    @Test func directMessagesAndPermissionDenials() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let alice = try await client(server, user: "alice", publish: ["chat.>"], subscribe: ["chat.>"])
        let bob = try await client(server, user: "bob")
        try await alice.send("hi bob", to: .user("bob"))
        let received = try await receive(1, from: bob)
        #expect(received == ["hi bob"])

        // A denied publish is an Error on the channel; the connection stays up.
        try await alice.send("nope", to: .topic("admin.secrets"))
        var denied: ErrorMessage?
        for await event in alice.events {
            if case .serverError(let error) = event { denied = error; break }
        }
        #expect(denied?.code == .publishDenied)
        do {
            _ = try await alice.subscribe("admin.>")
            Issue.record("the subscribe should have been refused")
        } catch {
            #expect("\(error)".contains("300") || "\(error)".contains("subscribe denied"))
        }
        try await alice.sendAcknowledged("still connected", to: .topic("chat.lobby"))
        await alice.close()
        await bob.close()
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("condition not met within 5 s")
}
