import CourierClient
import CourierSession
import CourierWire
import NIOCore
import Testing

/// Credit flow control (§16.3) end to end: the whole client against `FakeServer`,
/// which enforces the client's credit like the real server and records its grants.
///
/// Nothing here sleeps. "Not sent" is shown with a round trip that needs no credit:
/// a Subscribe queued after the waiting data, answered by the server, proves that the
/// server has read everything the client wrote before it.
@Suite("Client flow control over loopback", .timeLimit(.minutes(1)))
struct LoopbackFlowControlTests {
    /// A small receive window; its byte window is raised to the 1 MiB message limit.
    static let limits = ReceiveWindow.Limits(
        initialMessages: 8, initialBytes: 1 << 20, minMessages: 4, minBytes: 1 << 20, maxMessages: 64, maxBytes: 1 << 20
    )

    static func configuration(port: Int, flowControl: ReceiveWindow.Limits? = limits) -> CourierClient.Configuration {
        var configuration = LoopbackClientTests.configuration(port: port)
        configuration.flowControl = flowControl
        return configuration
    }

    /// A round trip that needs no credit: when it returns, the server has read all the
    /// client wrote before, and the client has read all the server wrote before.
    static func roundTrip(_ client: CourierClient) async throws {
        _ = try await client.subscribe("sync")
    }

    @Test func theClientNeverSendsBeyondItsCreditAndResumesOnAGrant() async throws {
        let server = try await FakeServer.start(credit: (messages: 3, bytes: 1 << 20))
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        try await client.connect()
        let sender = Task {
            for index in 1...6 { try await client.send("m\(index)", to: .topic("t")) }
        }
        try await server.wait { $0.received.count == 3 }
        try await Self.roundTrip(client)
        #expect(try await server.received() == ["m1", "m2", "m3"], "3 messages of credit: the 4th waits")

        try await server.grant(messages: 2, bytes: 1 << 20)
        try await server.wait { $0.received.count == 5 }
        try await Self.roundTrip(client)
        #expect(try await server.received() == ["m1", "m2", "m3", "m4", "m5"], "2 more of credit: 2 more messages, in order")

        try await server.grant(messages: 100, bytes: 1 << 20)
        try await sender.value
        try await server.wait { $0.received.count == 6 }
        #expect(try await server.creditViolations() == 0)
        await client.close()
        try await server.stop()
    }

    @Test func theByteCreditIsHonouredToo() async throws {
        let server = try await FakeServer.start(credit: (messages: 100, bytes: 10))
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        try await client.connect()
        try await client.send("12345678", to: .topic("t"))
        let sender = Task { try await client.send("abc", to: .topic("t"), reliable: false) }
        try await Self.roundTrip(client)
        #expect(try await server.received() == ["12345678"], "3 bytes do not fit in the 2 left")
        try await server.grant(messages: 0, bytes: 1)
        try await sender.value
        try await server.wait { $0.received.count == 2 }
        #expect(try await server.received() == ["12345678", "abc"])
        #expect(try await server.creditViolations() == 0)
        await client.close()
        try await server.stop()
    }

    @Test func creditForTheServerReturnsOnlyAsTheConsumerTakesMessages() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        try await client.connect()
        try await server.wait { $0.windowUpdates.count == 1 }
        #expect(try await server.windowUpdates() == [WindowUpdate(messages: 8, bytes: 1 << 20)], "the initial grant, after the handshake")

        // The server uses the whole window; nobody reads `messages` yet.
        let data = (1...8).map { CourierMessage(body: .textData(DataMessage(route: .topic("t"), payload: ByteBuffer(string: "d\($0)")))) }
        try await server.push(data)
        try await Self.roundTrip(client)  // the client has read the data
        try await Self.roundTrip(client)  // the server has read what the client wrote then
        #expect(try await server.windowUpdates().count == 1, "a consumer that does not read grants no new credit")

        // Each take is followed by a round trip, so every grant it caused has arrived.
        var messages = client.messages.makeAsyncIterator()
        var expected = [WindowUpdate(messages: 8, bytes: 1 << 20)]
        for index in 1...8 {
            let message = try #require(await messages.next())
            #expect(message.text == "d\(index)")
            try await Self.roundTrip(client)
            // 8 in the window: credit goes back once 2 are consumed (¾ of 8 in use).
            if index.isMultiple(of: 2) { expected.append(WindowUpdate(messages: 2, bytes: 4)) }
            #expect(try await server.windowUpdates() == expected, "after taking \(index)")
        }
        await client.close()
        try await server.stop()
    }

    @Test func withFlowControlOffTheClientGrantsNothing() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port, flowControl: nil))
        try await client.connect()
        try await server.push([CourierMessage(body: .textData(DataMessage(route: .topic("t"), payload: ByteBuffer(string: "x"))))])
        var messages = client.messages.makeAsyncIterator()
        #expect(await messages.next()?.text == "x")
        try await Self.roundTrip(client)
        #expect(try await server.windowUpdates().isEmpty)
        await client.close()
        try await server.stop()
    }

    @Test func aResumedConnectionGrantsAgain() async throws {
        let server = try await FakeServer.start()
        let client = CourierClient(configuration: Self.configuration(port: server.port))
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        #expect(await events.next() == .connected(sessionID: 100, resumed: false))
        try await client.send("restart", to: .topic("restart"))
        #expect(await events.next() == .disconnected(reason: "restarting", closeCode: 1012))
        #expect(await events.next() == .reconnecting(attempt: 1, delay: .milliseconds(10)))
        #expect(await events.next() == .connected(sessionID: 100, resumed: true))
        try await server.wait { $0.windowUpdates.count == 2 }
        #expect(try await server.windowUpdates() == Array(repeating: WindowUpdate(messages: 8, bytes: 1 << 20), count: 2))
        await client.close()
        try await server.stop()
    }
}
