import CourierServer
import CourierWire
import NIOCore
import Testing

/// Fan-out writes large payloads by reference (one buffer shared by every recipient,
/// framed by the server itself) and copies small ones into each recipient's batch:
/// whichever way, every recipient gets exactly the bytes published, in order.
@Suite("Shared payloads against a real server", .serialized)
struct SharedPayloadTests {
    /// Payloads of mixed sizes around the threshold and the WebSocket length encodings (125, 65535).
    static let sizes = [0, 1, 64, 125, 126, 1_023, 1_024, 4_096, 65_535, 65_536, 200_000, 3]

    static func payload(_ index: Int, _ size: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
    }

    func run(sharedPayloadBytes: Int) async throws {
        let server = try await TestServer.start(history: nil, sharedPayloadBytes: sharedPayloadBytes)
        defer { Task { await server.stop() } }
        var subscribers: [(RawWebSocket, ProtocolVersion)] = []
        for version in [ProtocolVersion.v2, .v2, .v1] {
            let socket = try await RawWebSocket.connect(port: server.port, group: server.group, subprotocols: [version == .v2 ? "courier.v2" : "courier.v1"])
            _ = try await socket.authenticateHMAC(version: version)
            try await socket.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "big.t")))], version: version)
            _ = try await socket.read(version: version) { t in t.messages.contains { $0.type == .subscribeResult } }
            subscribers.append((socket, version))
        }
        let publisher = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await publisher.authenticateHMAC()
        // One frame with every size, so one batch to each subscriber mixes shared and copied payloads.
        let messages = Self.sizes.enumerated().map { index, size in
            CourierMessage(body: .binaryData(DataMessage(route: .topic("big.t"), payload: Self.payload(index, size))))
        }
        try await publisher.send(messages)

        for (socket, version) in subscribers {
            let transcript = try await socket.read(version: version) { t in t.messages.filter { $0.type == .binaryData }.count >= Self.sizes.count }
            let received = transcript.messages.compactMap { message -> ByteBuffer? in
                guard case .binaryData(let data) = message.body else { return nil }
                return data.payload
            }
            #expect(received.count == Self.sizes.count)
            for (index, size) in Self.sizes.enumerated() where index < received.count {
                #expect(received[index] == Self.payload(index, size), "\(version) message \(index) (\(size) bytes)")
            }
        }
    }

    @Test func largePayloadsSharedSmallOnesCopied() async throws {
        try await run(sharedPayloadBytes: 1_024)
    }

    @Test func everyPayloadShared() async throws {
        try await run(sharedPayloadBytes: 0)
    }
}
