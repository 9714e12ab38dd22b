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

        await client.close()
        #expect(await events.next() == .closed)
        #expect(await events.next() == nil)
        #expect(try await server.received() == ["hello", "\u{1}\u{2}\u{3}"])
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
}
