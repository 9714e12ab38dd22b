import CourierClient
import CourierSession
import CourierWire
import NIOCore
import NIOPosix
import Testing

/// The whole client against `FakeServer` on 127.0.0.1: upgrade, handshake, sending,
/// acknowledgements, subscriptions, reconnect and resume, close.
@Suite("Client over loopback", .timeLimit(.minutes(1)))
struct LoopbackClientTests {
    static func configuration(port: Int, secret: [UInt8] = FakeServer.secret) -> CourierClient.Configuration {
        CourierClient.Configuration(
            host: "127.0.0.1", port: port, authentication: .hmac(keyID: FakeServer.keyID, secret: secret),
            handshakeTimeout: .seconds(5)
        )
    }

    /// Under `withTaskExecutorPreference(client.taskExecutor)` every await of the client
    /// resumes on its event loop (no hop to the global executor), answers and errors alike.
    @Test func awaitingOnTheClientsTaskExecutorStaysOnItsEventLoop() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        try await withTaskExecutorPreference(client.taskExecutor) {
            try await client.connect()
            #expect(client.eventLoop.inEventLoop)
            let subscription = try await client.subscribe("news.*")
            #expect(subscription.channel == 7 && client.eventLoop.inEventLoop)
            await #expect(throws: CourierClientError.requestRejected(code: .subscribeDenied, message: "no")) {
                try await client.subscribe("denied")
            }
            #expect(client.eventLoop.inEventLoop)
            for index in 1...3 {
                try await client.sendAcknowledged("hello \(index)", to: .topic("echo"))
                #expect(client.eventLoop.inEventLoop)
            }
            var messages = client.messages.makeAsyncIterator()
            for index in 1...3 {
                let echo = try #require(await messages.next())
                #expect(echo.text == "hello \(index)" && client.eventLoop.inEventLoop)
            }
            await client.close()
        }
        try await server.stop()
    }

    @Test func connectSubscribeSendReceiveAndClose() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        #expect(await events.next() == .connected(sessionID: 100, resumed: false))

        let subscription = try await client.subscribe("news.*")
        #expect(subscription == Subscription(pattern: "news.*", channel: 7, epoch: 1, offset: 0, recovery: .notRequested))
        await #expect(throws: CourierClientError.requestRejected(code: .subscribeDenied, message: "no")) {
            try await client.subscribe("denied")
        }

        try await client.sendAcknowledged("hello", to: .topic("echo"))
        try await client.send([1, 2, 3], to: .topic("bytes"), reliable: false)
        var messages = client.messages.makeAsyncIterator()
        let echo = try #require(await messages.next())
        #expect(echo.text == "hello" && echo.topic == "echo" && echo.sequence == 1 && echo.type == .textData)
        // A message reported by resumeFailed can be sent again: it is numbered anew.
        let old = CourierMessage(
            header: MessageHeader(flags: .ackRequested, sequence: 41),
            body: .textData(DataMessage(route: .topic("echo"), payload: ByteBuffer(string: "again")))
        )
        try await client.resend(old)
        let again = try #require(await messages.next())
        #expect(again.text == "again" && again.sequence == 2)

        await client.close()
        #expect(await events.next() == .closed)
        #expect(await events.next() == nil)
        #expect(try await server.received() == ["hello", "\u{1}\u{2}\u{3}", "again"])
        await #expect(throws: CourierClientError.closed) { try await client.send("late", to: .topic("echo")) }
        try await server.stop()
    }

    @Test func aWrongSecretFailsConnectWithTheServersReason() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port, secret: Array(repeating: 1, count: 32)))
        await #expect(throws: CourierClientError.authenticationFailed(code: .badProof, message: "proof does not verify")) {
            try await client.connect()
        }
        await client.close()
        try await server.stop()
    }

    @Test func anUnexpectedSubprotocolFailsConnect() async throws {
        let server = try await FakeServer.start(selecting: "courier.v9")
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        await #expect(throws: CourierClientError.unsupportedVersion("offered courier.v2, courier.v1, the server selected courier.v9")) {
            try await client.connect()
        }
        await client.close()
        try await server.stop()
    }

    @Test func nothingListeningIsConnectionRefused() async throws {
        let server = try await FakeServer.start()
        let port = server.port
        try await server.stop()
        let client = CourierClient(configuration: Self.configuration(port: port))
        await #expect(throws: CourierClientError.connectionRefused("127.0.0.1:\(port)")) { try await client.connect() }
        await client.close()
    }

    @Test func aServerRestartIsSurvivedByResumingTheSession() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        #expect(await events.next() == .connected(sessionID: 100, resumed: false))
        try await client.sendAcknowledged("one", to: .topic("echo"))

        try await client.send("restart", to: .topic("restart"))
        #expect(await events.next() == .disconnected(reason: "restarting", closeCode: 1012))
        #expect(await events.next() == .reconnecting(attempt: 1, delay: .milliseconds(10)))
        // Sent while reconnecting: waits, then goes out on the resumed connection.
        try await client.sendAcknowledged("two", to: .topic("echo"))
        #expect(await events.next() == .connected(sessionID: 100, resumed: true))

        var messages = client.messages.makeAsyncIterator()
        #expect(await messages.next()?.text == "one")
        let second = await messages.next()
        #expect(second?.text == "two" && second?.sequence == 2, "numbering continues in the resumed session")
        #expect(try await server.received() == ["one", "restart", "two"], "each message reached the server exactly once")
        await client.close()
        try await server.stop()
    }

    @Test func aLostSessionReportsWhatWasNeverAcknowledged() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        #expect(await events.next() == .connected(sessionID: 100, resumed: false))
        let waiter = Task { try await client.sendAcknowledged("forget me", to: .topic("forget")) }
        #expect(await events.next() == .disconnected(reason: "forgetting", closeCode: 1012))
        #expect(await events.next() == .reconnecting(attempt: 1, delay: .milliseconds(10)))
        guard case .resumeFailed(let reason, let unacknowledged)? = await events.next() else {
            Issue.record("expected resumeFailed")
            return
        }
        #expect(reason == .unknownSession)
        #expect(unacknowledged.map(\.header.sequence) == [1])
        #expect(await events.next() == .connected(sessionID: 101, resumed: false))
        await #expect(throws: CourierClientError.resumeFailed(.unknownSession)) { try await waiter.value }
        // The new session numbers from 1 again.
        try await client.sendAcknowledged("after", to: .topic("echo"))
        var messages = client.messages.makeAsyncIterator()
        let echo = await messages.next()
        #expect(echo?.text == "after" && echo?.sequence == 1)
        await client.close()
        try await server.stop()
    }

    @Test func theClientGivesUpAfterTheLastAttempt() async throws {
        let server = try await FakeServer.start()
        var configuration = Self.configuration(port: server.port)
        configuration.reconnect = .init(base: .milliseconds(1), cap: .milliseconds(1), maxAttempts: 1)
        let client = CourierClient(configuration: configuration, randomNumberGenerator: SplitMix64(seed: 7))
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        #expect(await events.next() == .connected(sessionID: 100, resumed: false))
        // A server that closes with the client's first WindowUpdate (§16.3) still unread
        // resets the connection instead: let it read it first.
        try await server.wait { $0.windowUpdates.count == 1 }
        try await server.stop()
        #expect(await events.next() == .disconnected(reason: "the connection was lost", closeCode: nil))
        guard case .reconnecting(attempt: 1, let delay)? = await events.next() else {
            Issue.record("expected a reconnect attempt")
            return
        }
        #expect(delay <= .milliseconds(1))
        guard case .disconnected(_, nil)? = await events.next() else {
            Issue.record("expected the failed attempt")
            return
        }
        #expect(await events.next() == .gaveUp)
        #expect(await events.next() == .closed)
        await #expect(throws: CourierClientError.closed) { try await client.send("x", to: .topic("t")) }
    }
}

/// A seeded generator (SplitMix64), so jitter is reproducible.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
