@testable import CourierClient
import CourierSession
import CourierWire
import NIOCore
import NIOEmbedded
import Testing

/// The connection handler's side of credit flow control (§16.3), on an
/// `EmbeddedChannel`: client → server credit, and the client's grants to the server.
@Suite("Connection handler: flow control (§16.3)")
struct ClientFlowControlTests {
    static func windowUpdate(_ messages: UInt32, _ bytes: UInt32, channel: UInt32 = 0) -> CourierMessage {
        CourierMessage(body: .windowUpdate(WindowUpdate(channel: channel, messages: messages, bytes: bytes)))
    }

    static let subscribe = CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "news.*")))

    /// A small window with a byte range the 1 MiB message limit does not raise.
    static let limits = ReceiveWindow.Limits(
        initialMessages: 8, initialBytes: 2 << 20, minMessages: 4, minBytes: 1 << 20, maxMessages: 64, maxBytes: 4 << 20
    )

    /// Every message written so far, in order.
    static func written(_ harness: Harness) throws -> [CourierMessage] {
        harness.loop.run()
        return try harness.writtenMessages().flatMap { $0 }
    }

    // MARK: Client → server

    @Test func dataWaitsForCreditButOtherMessagesDoNot() throws {
        let harness = try Harness()
        try harness.establish(credit: (messages: 2, bytes: 10))
        #expect(harness.handler.send(Harness.data("aaaa"), reliable: true, bytes: 4) == .queued(sequence: 1))
        #expect(harness.handler.send(Harness.data("bbbb"), reliable: true, bytes: 4) == .queued(sequence: 2))
        #expect(harness.handler.send(Harness.data("c"), reliable: true, bytes: 1) == .noCredit, "no message credit left")
        #expect(harness.handler.send(Harness.data("d"), reliable: false, bytes: 1) == .noCredit, "unreliable data needs credit too")
        #expect(harness.handler.send(Self.subscribe, reliable: false, bytes: 0) == .queued(sequence: nil), "a Subscribe needs none")
        #expect(try Self.written(harness).map(\.type) == [.textData, .textData, .subscribe])
        #expect(harness.handler.stateMachine.session?.outbound.lastSent == 2, "a refused message is not numbered")

        try harness.receive(Self.windowUpdate(5, 500, channel: 3))
        #expect(harness.handler.send(Harness.data("c"), reliable: true, bytes: 1) == .noCredit, "a grant on a channel is ignored")
        try harness.receive(Self.windowUpdate(1, 0))
        #expect(harness.delegate.creditGrants == 1, "the owner is told to retry its waiting sends")
        #expect(harness.handler.send(Harness.data("ccc"), reliable: true, bytes: 3) == .noCredit, "1 message but only 2 bytes of credit")
        #expect(harness.handler.send(Harness.data("cc"), reliable: true, bytes: 2) == .queued(sequence: 3))
        #expect(harness.handler.send(Harness.data(""), reliable: true, bytes: 0) == .noCredit)
        #expect(try Self.written(harness).compactMap(\.payloadText) == ["cc"])
        #expect(harness.delegate.received.isEmpty, "WindowUpdates are not handed to the application")
    }

    @Test func replayedDataBeyondTheCreditIsHeldInOrder() throws {
        var session = ReliableSession()
        for text in ["one", "two", "three"] {
            var message = Harness.data(text)
            _ = session.outbound.assign(&message, bytes: text.utf8.count)
        }
        let ticket = ClientConnectionStateMachine.Ticket(sessionID: Harness.sessionID, resumeToken: ByteBuffer(bytes: [9]))
        let harness = try Harness(resuming: session, ticket: ticket)
        try harness.receive(Harness.challenge())
        _ = try harness.written()
        try harness.receive(Harness.response(resume: .resumed(lastReceived: 0), credit: (messages: 1, bytes: 100)))
        #expect(try Self.written(harness).compactMap(\.payloadText) == ["one"], "credit for one message: the others are held")
        #expect(harness.handler.batcher.heldCount == 2)
        #expect(harness.handler.send(Harness.data("four"), reliable: true, bytes: 4) == .noCredit, "fresh data never passes held data")

        try harness.receive(Self.windowUpdate(1, 100))
        #expect(try Self.written(harness).compactMap(\.payloadText) == ["two"])
        try harness.receive(Self.windowUpdate(10, 100))
        #expect(harness.handler.send(Harness.data("four"), reliable: true, bytes: 4) == .queued(sequence: 4))
        let rest = try Self.written(harness)
        #expect(rest.compactMap(\.payloadText) == ["three", "four"])
        var resolver = SequenceResolver()
        _ = resolver.resolve(MessageHeader(flags: .ackRequested, sequence: 2))
        #expect(rest.map { resolver.resolve($0.header) } == [.sequence(3), .sequence(4)], "numbering stays in order")
        #expect(harness.handler.batcher.credit == SendCredit(messages: 8, bytes: 300 - 3 - 3 - 5 - 4))
    }

    @Test func aSendCreditOfZeroHoldsEverythingUntilTheFirstGrant() throws {
        let harness = try Harness()
        try harness.establish(credit: (messages: 0, bytes: 0))
        #expect(harness.handler.send(Harness.data("x"), reliable: true, bytes: 1) == .noCredit)
        #expect(try Self.written(harness).isEmpty)
        try harness.receive(Self.windowUpdate(1, 1))
        #expect(harness.handler.send(Harness.data("x"), reliable: true, bytes: 1) == .queued(sequence: 1))
    }

    // MARK: Server → client

    @Test(arguments: [false, true])
    func flowControlIsTurnedOnAfterEveryHandshake(resumed: Bool) throws {
        var session = ReliableSession()
        var message = Harness.data("x")
        _ = session.outbound.assign(&message, bytes: 1)
        let ticket = ClientConnectionStateMachine.Ticket(sessionID: Harness.sessionID, resumeToken: ByteBuffer(bytes: [9]))
        let harness = resumed
            ? try Harness(resuming: session, ticket: ticket, flowControl: Self.limits)
            : try Harness(flowControl: Self.limits)
        try harness.receive(Harness.challenge())
        #expect(try Self.written(harness).map(\.type) == [.handshake], "no credit before the handshake completes")
        try harness.receive(Harness.response(resume: resumed ? .resumed(lastReceived: 0) : .new))
        let written = try Self.written(harness)
        #expect(written.first == Self.windowUpdate(8, 2 << 20), "the initial grant, ahead of any replay")
        #expect(written.map(\.type) == (resumed ? [.windowUpdate, .textData] : [.windowUpdate]))
    }

    @Test func withoutFlowControlNoCreditIsGranted() throws {
        let harness = try Harness()
        try harness.receive(Harness.challenge())
        _ = try harness.written()
        try harness.receive(Harness.response())
        try harness.receive((1...10).map { Harness.data("\($0)") })
        harness.handler.applicationConsumed(messages: 10, bytes: 11)
        #expect(try Self.written(harness).isEmpty)
        #expect(harness.handler.receiveWindow == nil)
    }

    @Test func theByteWindowFitsTheLargestMessageThatCanArrive() throws {
        let tiny = ReceiveWindow.Limits(initialMessages: 8, initialBytes: 1_000, minMessages: 4, minBytes: 500, maxMessages: 64, maxBytes: 4_000)
        // (the server's maximum, the initial byte grant, the smallest byte window)
        for (serverMaximum, grant, floor) in [(UInt32(1 << 20), UInt32(1 << 20), 1 << 20), (4_096, 4_096, 4_096), (100, 1_000, 500)] {
            let harness = try Harness(flowControl: tiny)
            try harness.receive(Harness.challenge())
            _ = try harness.written()
            try harness.receive(Harness.response(maxMessageBytes: serverMaximum))
            #expect(try Self.written(harness) == [Self.windowUpdate(8, grant)], "server maximum \(serverMaximum)")
            #expect(harness.handler.receiveWindow?.limits.minBytes == floor)
        }
        // The client's own limit caps it: it would close on anything larger.
        let harness = try Harness(flowControl: tiny)
        try harness.receive(Harness.challenge())
        _ = try harness.written()
        try harness.receive(Harness.response(maxMessageBytes: .max))
        #expect(try Self.written(harness) == [Self.windowUpdate(8, UInt32(WireLimits().maxMessageBytes))])
    }

    @Test func creditReturnsOnlyAsTheApplicationConsumes() throws {
        let harness = try Harness(flowControl: Self.limits)
        try harness.establish()
        try harness.receive((1...8).map { Harness.data("m\($0)") })
        #expect(harness.delegate.received.count == 8)
        #expect(try Self.written(harness).isEmpty, "nothing consumed: no credit")
        #expect(try #require(harness.handler.receiveWindow).outstanding == (0, (2 << 20) - 16))
        harness.handler.applicationConsumed(messages: 1, bytes: 2)
        #expect(try Self.written(harness).isEmpty, "7 of 8 still in use: not worth a WindowUpdate")
        harness.handler.applicationConsumed(messages: 1, bytes: 2)
        #expect(try Self.written(harness) == [Self.windowUpdate(2, 4)])
        harness.handler.applicationConsumed(messages: 6, bytes: 12)
        #expect(try Self.written(harness) == [Self.windowUpdate(6, 12)])
        #expect(try #require(harness.handler.receiveWindow).outstanding == (8, 2 << 20), "never more than the window")
    }

    @Test func duplicatesReturnTheirCreditAtOnce() throws {
        let harness = try Harness(flowControl: Self.limits)
        try harness.establish()
        try harness.receive((1...4).map { Harness.data("m", sequence: UInt32($0)) })
        _ = try Self.written(harness)
        try harness.receive((1...4).map { Harness.data("m", sequence: UInt32($0)) })
        #expect(harness.delegate.received.count == 4, "duplicates are dropped")
        let written = try Self.written(harness)
        #expect(written.contains(Self.windowUpdate(4, 4)), "the 4 duplicates spent credit and are done: it comes back with the read batch")
        #expect(try #require(harness.handler.receiveWindow).buffered == (4, 4), "the delivered ones wait for the application")
    }

    @Test func heartbeatRoundTripsFeedTheWindow() throws {
        let harness = try Harness(flowControl: Self.limits)
        try harness.establish(heartbeatMillis: 1_000)
        harness.loop.advanceTime(by: .milliseconds(1_000))
        let ping = try #require(try Self.written(harness).first)
        guard case .heartbeat(let beat) = ping.body else {
            Issue.record("expected a ping, got \(ping)")
            return
        }
        harness.loop.advanceTime(by: .milliseconds(3))
        try harness.receive(CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: beat.value))))
        #expect(harness.handler.receiveWindow?.smallestRoundTrip == .milliseconds(3))
    }
}

extension RecordingDelegate {
    var creditGrants: Int {
        events.filter { if case .creditGranted = $0 { return true } else { return false } }.count
    }
}

extension CourierMessage {
    var payloadText: String? { dataPayload.map { String(buffer: $0) } }
}
