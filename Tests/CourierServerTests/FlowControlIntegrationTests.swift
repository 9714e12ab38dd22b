import CourierServer
import CourierSession
import CourierWire
import Foundation
import NIOCore
import Testing

/// Credit flow control and per-topic queue policies against a real server
/// (`docs/PROTOCOL.md` §16.2, §16.3). A subscriber that grants little or no credit
/// makes deliveries wait in its data queues, which makes every case deterministic.
@Suite("Flow control and queue policies against a real server", .serialized)
struct FlowControlIntegrationTests {
    static func payloads(_ transcript: Transcript) -> [String] {
        transcript.messages.compactMap { message in
            guard case .binaryData(let data) = message.body else { return nil }
            return String(buffer: data.payload)
        }
    }

    static func gaps(_ transcript: Transcript) -> [ErrorMessage] {
        transcript.messages.compactMap { message in
            guard case .error(let error) = message.body, error.code == .messagesDropped else { return nil }
            return error
        }
    }

    func subscriber(_ server: TestServer, _ patterns: [String], credit: UInt32) async throws -> (RawWebSocket, [UInt32]) {
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        var aliases: [UInt32] = []
        for (index, pattern) in patterns.enumerated() {
            try await socket.send([CourierMessage(body: .subscribe(Subscribe(requestID: UInt32(index + 1), pattern: pattern)))])
            let transcript = try await socket.read { t in t.messages.contains { $0.type == .subscribeResult } }
            for case .subscribeResult(let result) in transcript.messages.map(\.body) { aliases.append(result.channel) }
        }
        // Turns flow control on with `credit` messages.
        try await socket.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: credit, bytes: 1 << 24)))])
        return (socket, aliases)
    }

    func publisher(_ server: TestServer) async throws -> RawWebSocket {
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        return socket
    }

    /// Publishes reliably and waits for the server's acknowledgement: by then every
    /// delivery has been handed to the subscribers' connections.
    func publish(_ socket: RawWebSocket, _ items: [(topic: String, text: String)], firstSequence: UInt32) async throws {
        var messages: [CourierMessage] = []
        for (index, item) in items.enumerated() {
            var message = CourierMessage(body: .binaryData(DataMessage(route: .topic(item.topic), payload: ByteBuffer(string: item.text))))
            message.header.flags.insert(.ackRequested)
            message.header.sequence = firstSequence + UInt32(index)
            messages.append(message)
        }
        for start in stride(from: 0, to: messages.count, by: 100) {
            try await socket.send(Array(messages[start..<min(start + 100, messages.count)]))
        }
        let last = firstSequence + UInt32(items.count) - 1
        _ = try await socket.read { t in
            t.messages.contains { if case .acknowledge(let ack) = $0.body { return ack.sequence == last } else { return false } }
        }
    }

    /// After a publisher's acknowledgement the deliveries are queued on the subscriber's
    /// event loop, but may not have run yet; once a round trip on the subscriber's
    /// connection is over, they have (the loop runs queued tasks after each read).
    func settle(_ subscriber: RawWebSocket) async throws {
        let transcript = try await roundTrip(subscriber)
        #expect(transcript.messages.allSatisfy { $0.type == .heartbeat }, "nothing may arrive without credit")
    }

    /// A ping's pong comes back after everything the server could send before it.
    func roundTrip(_ socket: RawWebSocket) async throws -> Transcript {
        try await socket.send([CourierMessage(body: .heartbeat(Heartbeat(kind: .ping, value: 42)))])
        return try await socket.read { t in
            t.messages.contains { if case .heartbeat(let beat) = $0.body { return beat.kind == .pong && beat.value == 42 } else { return false } }
        }
    }

    @Test func theServerNeverSendsBeyondTheCreditAndContinuesWhenGranted() async throws {
        let server = try await TestServer.start(history: nil)
        defer { Task { await server.stop() } }
        let (subscriber, _) = try await subscriber(server, ["credit.t"], credit: 5)
        let publisher = try await publisher(server)
        try await publish(publisher, (0..<20).map { ("credit.t", "m\($0)") }, firstSequence: 1)

        // All 20 reach the connection in one run: whatever went beyond the credit would
        // arrive with the first 5, so read those, then two round trips for good measure.
        var first = try await subscriber.read { Self.payloads($0).count >= 5 }
        for _ in 0..<2 { first.messages += try await roundTrip(subscriber).messages }
        #expect(Self.payloads(first) == (0..<5).map { "m\($0)" }, "exactly the 5 messages of credit")
        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 100, bytes: 1 << 20)))])
        let rest = try await subscriber.read { Self.payloads($0).count >= 15 }
        #expect(Self.payloads(rest) == (5..<20).map { "m\($0)" }, "the rest, in order, once granted")
        #expect(Self.gaps(first).isEmpty && Self.gaps(rest).isEmpty)
    }

    @Test func aSaturatedChannelDelaysASiblingByOneMessageAtMost() async throws {
        let server = try await TestServer.start(history: nil)
        defer { Task { await server.stop() } }
        let (subscriber, _) = try await subscriber(server, ["busy.t", "quiet.t"], credit: 0)
        let publisher = try await publisher(server)
        try await publish(publisher, (0..<500).map { ("busy.t", "busy\($0)") } + [("quiet.t", "quiet")], firstSequence: 1)
        try await settle(subscriber)

        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 4, bytes: 1 << 20)))])
        let granted = try await subscriber.read { Self.payloads($0).count >= 4 }
        let received = Self.payloads(granted)
        #expect(received.prefix(2).contains("quiet"), "the quiet channel's message goes in the first round: \(received)")
    }

    @Test func dropOldestSendsAGapNoticeWithTheCountBeforeTheNewerMessages() async throws {
        let server = try await TestServer.start(history: nil, queueBytesPerChannel: 1_024)
        defer { Task { await server.stop() } }
        let (subscriber, aliases) = try await subscriber(server, ["drop.t"], credit: 0)
        let publisher = try await publisher(server)
        let payload = String(repeating: "x", count: 60)
        // 100 messages of 64 bytes; the channel holds 16 of them.
        try await publish(publisher, (0..<100).map { ("drop.t", String(format: "%03d", $0) + payload.dropFirst(3) + "!") }, firstSequence: 1)
        try await settle(subscriber)

        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 1_000, bytes: 1 << 20)))])
        let transcript = try await subscriber.read { Self.payloads($0).count >= 16 }
        let gaps = Self.gaps(transcript)
        #expect(gaps.count == 1)
        #expect(gaps.first?.reference == .channel(aliases[0]))
        #expect(gaps.first?.message.hasPrefix("84 messages dropped") == true, "\(gaps.first?.message ?? "none")")
        let received = Self.payloads(transcript).map { String($0.prefix(3)) }
        #expect(received == (84..<100).map { String(format: "%03d", $0) }, "the newest 16, in order")
        // The notice comes before the messages it precedes.
        let gapIndex = transcript.messages.firstIndex { $0.type == .error }
        let dataIndex = transcript.messages.firstIndex { $0.type == .binaryData }
        #expect(gapIndex! < dataIndex!)
    }

    @Test func keepLatestLeavesTheNewestValueOfEachKey() async throws {
        let rules = [try TopicPolicies.parseRule("ticks.>=keepLatest")]
        let server = try await TestServer.start(history: nil, topicPolicies: TopicPolicies(rules: rules))
        defer { Task { await server.stop() } }
        let (subscriber, _) = try await subscriber(server, ["ticks.*"], credit: 0)
        let publisher = try await publisher(server)
        var items: [(topic: String, text: String)] = []
        for round in 0..<50 { for symbol in ["A", "B", "C"] { items.append(("ticks.\(symbol)", "\(symbol)\(round)")) } }
        try await publish(publisher, items, firstSequence: 1)
        try await settle(subscriber)

        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 1_000, bytes: 1 << 20)))])
        let transcript = try await subscriber.read { Self.payloads($0).count >= 3 }
        _ = transcript
        let settled = try await roundTrip(subscriber)
        let received = Self.payloads(transcript) + Self.payloads(settled)
        #expect(received == ["A49", "B49", "C49"], "one message per key, the newest")
        let dropped = (Self.gaps(transcript) + Self.gaps(settled)).compactMap { Int($0.message.prefix { $0.isNumber }) }.reduce(0, +)
        #expect(dropped == 147, "every replaced value is counted")
    }

    @Test func disconnectClosesTheSlowConnectionWith4007() async throws {
        let rules = [try TopicPolicies.parseRule("strict.>=disconnect")]
        let server = try await TestServer.start(history: nil, queueBytesPerChannel: 1_024, topicPolicies: TopicPolicies(rules: rules))
        defer { Task { await server.stop() } }
        let (subscriber, _) = try await subscriber(server, ["strict.t"], credit: 0)
        let (bystander, _) = try await self.subscriber(server, ["strict.t"], credit: 1_000)
        let publisher = try await publisher(server)
        try await publish(publisher, (0..<40).map { ("strict.t", String(repeating: "y", count: 64) + "\($0)") }, firstSequence: 1)

        let transcript = try await subscriber.read()
        let close = transcript.messages.compactMap { if case .close(let close) = $0.body { return close } else { return nil } }.first
        #expect(close?.code == .slowConsumer)
        #expect(transcript.closeFrameCode == CloseCode.slowConsumer.rawValue)
        let others = try await bystander.read { Self.payloads($0).count >= 40 }
        #expect(Self.payloads(others).count == 40, "a subscriber that keeps up gets everything")
    }

    @Test func aClientBeyondItsCreditIsToldAndClosedWith4008() async throws {
        let window = ReceiveWindow.Limits(initialMessages: 256, initialBytes: 1 << 20, minMessages: 256, minBytes: 1 << 20, maxMessages: 256, maxBytes: 1 << 20)
        let server = try await TestServer.start(history: nil, receiveWindow: window)
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        let response = try await socket.authenticateHMAC()
        #expect(response.creditMessages == 256)
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic("nobody.t"), payload: ByteBuffer(string: "z"))))
        try await socket.send(Array(repeating: message, count: 300))
        let transcript = try await socket.read()
        let error = transcript.messages.compactMap { if case .error(let error) = $0.body { return error } else { return nil } }.first
        #expect(error?.code == .creditExceeded)
        #expect(transcript.closeFrameCode == CloseCode.creditExceeded.rawValue)
    }

    @Test func aClientWithinItsCreditGetsItBack() async throws {
        let window = ReceiveWindow.Limits(initialMessages: 256, initialBytes: 1 << 20, minMessages: 256, minBytes: 1 << 20, maxMessages: 256, maxBytes: 1 << 20)
        let server = try await TestServer.start(history: nil, receiveWindow: window)
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic("nobody.t"), payload: ByteBuffer(string: "z"))))
        var granted = 0
        for _ in 0..<4 {
            // Spend 200 of the 256, then wait for the credit to come back before spending more.
            try await socket.send(Array(repeating: message, count: 200))
            let transcript = try await socket.read { t in t.messages.contains { $0.type == .windowUpdate } }
            for case .windowUpdate(let update) in transcript.messages.map(\.body) { granted += Int(update.messages) }
            #expect(!transcript.closed)
        }
        #expect(granted == 800, "every message's credit came back")
    }
}
