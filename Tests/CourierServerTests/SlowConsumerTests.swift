import CourierWire
import NIOCore
import Testing

/// A subscriber that stops reading cannot make the server queue without bound: its
/// unreliable deliveries are dropped and counted, and it is told exactly how many.
@Suite("Slow consumers against a real server", .serialized)
struct SlowConsumerTests {
    struct Tally {
        var received = 0
        var dropped = 0
        var total: Int { received + dropped }
    }

    static func tally(_ transcript: Transcript) -> Tally {
        var tally = Tally()
        for message in transcript.messages {
            switch message.body {
            case .binaryData: tally.received += 1
            case .error(let error) where error.code == .messagesDropped:
                tally.dropped += Int(error.message.prefix { $0.isNumber }) ?? 0
            default: break
            }
        }
        return tally
    }

    func subscriber(_ server: TestServer, receiveBuffer: Int? = nil) async throws -> RawWebSocket {
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group, receiveBuffer: receiveBuffer)
        _ = try await socket.authenticateHMAC()
        try await socket.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "flood.x")))])
        _ = try await socket.read { t in t.messages.contains { $0.type == .subscribeResult } }
        return socket
    }

    @Test func aReaderThatStallsLosesCountedMessagesAndNobodyElseNotices() async throws {
        let server = try await TestServer.start(history: nil, outboundHighWater: 64 * 1_024, outboundLowWater: 16 * 1_024)
        defer { Task { await server.stop() } }
        let slow = try await subscriber(server, receiveBuffer: 4_096)
        let fast = try await subscriber(server)
        let publisher = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await publisher.authenticateHMAC()
        try await slow.reading(false)

        // Waves of 100 that the reader that keeps up takes in before the next: it must
        // get every message, while the stalled one's queue overflows.
        let total = 12_000
        let payload = ByteBuffer(repeating: 0x78, count: 1_024)
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic("flood.x"), payload: payload)))
        var fastResult = Tally()
        for _ in 0..<(total / 100) {
            try await publisher.send(Array(repeating: message, count: 100))
            let wave = Self.tally(try await fast.read { Self.tally($0).total >= 100 })
            fastResult.received += wave.received
            fastResult.dropped += wave.dropped
        }
        #expect(fastResult.received == total, "a reader that keeps up gets everything: \(fastResult)")
        #expect(fastResult.dropped == 0)

        // The stalled reader comes back: what it missed is counted, nothing else.
        try await Task.sleep(for: .milliseconds(100))
        try await slow.reading(true)
        let slowResult = Self.tally(try await slow.read { Self.tally($0).total >= total })
        #expect(slowResult.total == total)
        #expect(slowResult.dropped > 0, "the server dropped rather than queued: \(slowResult)")
        #expect(slowResult.received * 1_024 < 8 * 1_024 * 1_024, "what was queued for it stayed bounded")
    }
}
