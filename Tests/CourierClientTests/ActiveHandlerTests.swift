@testable import CourierClient
import CourierSession
import CourierWire
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@Suite("Connection handler: Active (§4, §12, §13)")
struct ActiveHandlerTests {
    @Test func messagesWrittenInOneTickLeaveInOneFrameWithOneFlush() throws {
        let harness = try Harness()
        try harness.establish()
        for text in ["a", "b", "c"] {
            #expect(harness.handler.send(Harness.data(text), reliable: true, bytes: 1) != .unavailable)
        }
        #expect(harness.handler.send(Harness.data("d"), reliable: false, bytes: 1) == .queued(sequence: nil))
        #expect(try harness.written().isEmpty, "nothing leaves before the tick ends")
        harness.loop.run()
        let frames = try harness.written()
        #expect(frames.count == 1)
        #expect(frames.allSatisfy { $0.maskKey != nil })
        let messages = try harness.decode(try #require(frames.first))
        #expect(messages.map(\.header.sequence) == [1, nil, nil, nil])
        #expect(messages.map(\.header.isReliable) == [true, true, true, false])
        #expect(messages.allSatisfy { $0.header.sessionID == nil }, "v2 omits the session id once established")
        // Resolving the implicit sequences gives 1, 2, 3.
        var resolver = SequenceResolver()
        #expect(messages.map { resolver.resolve($0.header) } == [.sequence(1), .sequence(2), .sequence(3), .unreliable])
    }

    @Test func sendReturnsTheSequenceItAssigned() throws {
        let harness = try Harness()
        try harness.establish()
        #expect(harness.handler.send(Harness.data("x"), reliable: true, bytes: 1) == .queued(sequence: 1))
        #expect(harness.handler.send(Harness.data("y"), reliable: true, bytes: 1) == .queued(sequence: 2))
    }

    @Test func nothingCanBeSentBeforeTheHandshake() throws {
        let harness = try Harness()
        #expect(harness.handler.send(Harness.data("x"), reliable: true, bytes: 1) == .unavailable)
    }

    @Test func v1MessagesCarryTheSessionIDAndExplicitSequences() throws {
        let harness = try Harness(version: .v1)
        try harness.establish()
        _ = harness.handler.send(Harness.data("a"), reliable: true, bytes: 1)
        _ = harness.handler.send(Harness.data("b"), reliable: true, bytes: 1)
        harness.loop.run()
        let messages = try harness.writtenMessages().flatMap { $0 }
        #expect(messages.map(\.header.sequence) == [1, 2])
        #expect(messages.map(\.header.sessionID) == [Harness.sessionID, Harness.sessionID])
    }

    @Test func deliveriesAreAcknowledgedOnceAtTheEndOfTheReadBatch() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.receiveBatch([
            [Harness.data("1", sequence: 1), Harness.data("2", sequence: 2)],
            [Harness.data("3", sequence: 3), Harness.data("unreliable")],
        ])
        #expect(harness.delegate.received.count == 4)
        let frames = try harness.writtenMessages()
        #expect(frames.count == 1)
        #expect(frames.first?.map(\.body) == [.acknowledge(Acknowledge(sequence: 3))])
        // Nothing new: no acknowledgement.
        try harness.receive(Harness.data("again unreliable"))
        #expect(try harness.written().isEmpty)
    }

    @Test func implicitSequencesFromTheServerAreResolvedAndDuplicatesDropped() throws {
        let harness = try Harness()
        try harness.establish()
        var second = Harness.data("2")
        second.header.flags = [.ackRequested]
        try harness.receive([Harness.data("1", sequence: 1), second])
        #expect(harness.delegate.received.map(\.header.sequence) == [1, 2])
        try harness.receive(Harness.data("1 again", sequence: 1))
        #expect(harness.delegate.received.count == 2)
        let acks = try harness.writtenMessages().flatMap { $0 }.map(\.body)
        #expect(acks == [.acknowledge(Acknowledge(sequence: 2)), .acknowledge(Acknowledge(sequence: 2))], "a duplicate is acknowledged again")
    }

    @Test func acknowledgementsFromTheServerAreReported() throws {
        let harness = try Harness()
        try harness.establish()
        _ = harness.handler.send(Harness.data("a"), reliable: true, bytes: 1)
        _ = harness.handler.send(Harness.data("b"), reliable: true, bytes: 1)
        harness.loop.run()
        try harness.receive(CourierMessage(body: .acknowledge(Acknowledge(sequence: 2))))
        #expect(harness.delegate.acknowledged == [2])
        #expect(harness.handler.stateMachine.session?.outbound.unacknowledgedCount == 0)
    }

    @Test func aWebSocketPingIsAnsweredWithAMaskedPong() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(bytes: [1, 2, 3])))
        let frames = try harness.written()
        #expect(frames.count == 1)
        #expect(frames.first?.opcode == .pong)
        #expect(frames.first?.data == ByteBuffer(bytes: [1, 2, 3]))
        #expect(frames.first?.maskKey != nil)
    }

    @Test func heartbeatsAreSentEveryIntervalAndSilenceCloses4005() throws {
        let harness = try Harness()
        try harness.establish(heartbeatMillis: 1_000)
        harness.loop.advanceTime(by: .milliseconds(999))
        #expect(try harness.written().isEmpty)
        harness.loop.advanceTime(by: .milliseconds(1))
        let ping = try harness.writtenMessages().flatMap { $0 }
        #expect(ping.map(\.body) == [.heartbeat(Heartbeat(kind: .ping, value: 1_000_000))])
        // The server answers; then falls silent.
        try harness.receive(CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: 1_000_000))))
        #expect(harness.handler.stateMachine.lastRoundTrip == .zero)
        harness.loop.advanceTime(by: .milliseconds(1_000))
        #expect(try harness.writtenMessages().flatMap { $0 }.map(\.type) == [.heartbeat])
        harness.loop.advanceTime(by: .milliseconds(1_500))
        let frames = try harness.written()
        let close = try frames.filter { $0.opcode == .binary }.flatMap(harness.decode).last
        guard case .close(let body) = close?.body else {
            Issue.record("expected Close, got \(frames)")
            return
        }
        #expect(body.code == .heartbeatTimeout)
        #expect(frames.last?.opcode == .connectionClose && frames.last?.closeCode == 4005)
        harness.loop.advanceTime(by: .seconds(5))
        let end = try #require(harness.delegate.end)
        #expect(end.closeCode == .heartbeatTimeout && end.allowsReconnect && end.wasEstablished)
        #expect(end.session?.outbound.lastSent == 0)
    }

    @Test func serverPingsAreAnsweredWithPongs() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.receive(CourierMessage(body: .heartbeat(Heartbeat(kind: .ping, value: 77))))
        #expect(try harness.writtenMessages().flatMap { $0 }.map(\.body) == [.heartbeat(Heartbeat(kind: .pong, value: 77))])
    }

    @Test func serverCloseWithRetryHintIsAnsweredAndReported() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.receive(CourierMessage(body: .close(Close(code: .serviceRestart, retryAfterMillis: 2_000, retryJitterMillis: 500, reason: "restart"))))
        let frames = try harness.written()
        #expect(frames.map(\.opcode) == [.connectionClose])
        #expect(frames.first?.closeCode == 1012)
        #expect(harness.channel.isActive == false)
        let end = try #require(harness.delegate.end)
        #expect(end.closeCode == .serviceRestart && !end.closedLocally)
        #expect(end.retryHint == ReconnectBackoff.RetryHint(after: .seconds(2), jitter: .milliseconds(500)))
        #expect(end.allowsReconnect)
    }

    @Test func aWebSocketCloseFrameIsEchoed() throws {
        let harness = try Harness()
        try harness.establish()
        var data = ByteBuffer()
        data.writeInteger(UInt16(1001))
        data.writeString("bye")
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        #expect(try harness.written().map(\.closeCode) == [1001])
        let end = try #require(harness.delegate.end)
        #expect(end.closeCode == .goingAway && end.reason == "bye")
    }

    @Test func aTextFrameCloses1003() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "hi")))
        let frames = try harness.written()
        #expect(frames.last?.closeCode == 1003)
        #expect(try frames.filter { $0.opcode == .binary }.flatMap(harness.decode).map(\.type) == [.close])
    }

    @Test func undecodableBytesCloseWith4000AfterAnError() throws {
        let harness = try Harness()
        try harness.establish()
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [0x00, 0xFF])))
        let frames = try harness.written()
        let messages = try frames.filter { $0.opcode == .binary }.flatMap(harness.decode)
        #expect(messages.map(\.type) == [.error, .close])
        #expect(frames.last?.closeCode == 4000)
    }

    @Test func closeByApplicationSendsCloseAndWaitsForThePeer() throws {
        let harness = try Harness()
        try harness.establish()
        harness.handler.closeByApplication(Close(code: .normal, reason: "bye"))
        let frames = try harness.written()
        #expect(try frames.filter { $0.opcode == .binary }.flatMap(harness.decode).map(\.type) == [.close])
        #expect(frames.last?.closeCode == 1000)
        #expect(harness.channel.isActive, "waits for the server's close frame")
        #expect(harness.handler.send(Harness.data("late"), reliable: true, bytes: 4) == .unavailable)
        var data = ByteBuffer()
        data.writeInteger(UInt16(1000))
        try harness.channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        #expect(harness.channel.isActive == false)
        #expect(try harness.written().isEmpty, "no second close frame")
        #expect(harness.delegate.end?.closeCode == .normal)
    }

    @Test func pausedReadingHoldsReadsUntilResumed() throws {
        let harness = try Harness()
        try harness.establish()
        let before = harness.reads.reads
        harness.handler.setReadingPaused(true)
        harness.channel.read()
        #expect(harness.reads.reads == before)
        harness.handler.setReadingPaused(false)
        #expect(harness.reads.reads == before + 1)
    }

    @Test func readsAreNotHeldDuringTheHandshake() throws {
        let harness = try Harness()
        harness.handler.setReadingPaused(true)
        let before = harness.reads.reads
        harness.channel.read()
        #expect(harness.reads.reads == before + 1)
    }

    @Test func batchesAreSplitAtMaxMessagesPerFrame() throws {
        let harness = try Harness(maxMessagesPerFrame: 2)
        try harness.establish()
        for _ in 0..<5 { _ = harness.handler.send(Harness.data("x"), reliable: true, bytes: 1) }
        harness.loop.run()
        let frames = try harness.writtenMessages()
        #expect(frames.map(\.count) == [2, 2, 1])
        #expect(frames.flatMap { $0 }.map(\.header.sequence) == [1, nil, nil, nil, nil])
    }
}
