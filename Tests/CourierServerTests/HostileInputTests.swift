import CourierWire
import NIOCore
import NIOWebSocket
import Testing

/// A hostile or broken peer is closed with the right code; everyone else keeps working.
@Suite("Hostile input against a real server", .serialized)
struct HostileInputTests {
    @Test func badPeersAreClosedWhileAHundredOthersKeepWorking() async throws {
        let server = try await TestServer.start(maxMessageBytes: 4_096)
        defer { Task { await server.stop() } }
        var healthy: [RawWebSocket] = []
        for _ in 0..<100 {
            let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
            _ = try await socket.authenticateHMAC()
            healthy.append(socket)
        }

        // Random bytes after the handshake: Error 100 + Close 4000.
        let garbage = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await garbage.authenticateHMAC()
        var generator = SystemRandomNumberGenerator()
        try await garbage.send((0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) } + [0xFF, 0x0F])
        let garbageTranscript = try await garbage.read()
        #expect(garbageTranscript.errorCodes == [.malformedMessage])
        #expect(garbageTranscript.closeFrameCode == CloseCode.malformedMessage.rawValue)

        // A WebSocket message over the frame limit (maxMessageBytes + 64 KiB): 1009.
        let oversize = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await oversize.authenticateHMAC()
        try await oversize.send([UInt8](repeating: 0x42, count: 4_096 + 64 * 1_024 + 1))
        let oversizeTranscript = try await oversize.read()
        #expect(oversizeTranscript.closeFrameCode == 1009)

        // A Courier message over maxMessageBytes inside an acceptable frame: Error 100 (payload_too_large) + 4000.
        let large = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await large.authenticateHMAC()
        let bigMessage = CourierMessage(header: MessageHeader(flags: .ackRequested, sequence: 1),
                                        body: .binaryData(DataMessage(route: .topic("x"), payload: ByteBuffer(repeating: 1, count: 5_000))))
        try await large.send([bigMessage])
        let largeTranscript = try await large.read()
        #expect(largeTranscript.closeMessage?.reason.contains("payload_too_large") == true)

        // A flood of fragments that never finishes: refused as bad fragmentation or too big.
        let fragments = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await fragments.authenticateHMAC()
        try await fragments.send([0x01], opcode: .binary, fin: false)
        for _ in 0..<1_100 { try? await fragments.send([0x01], opcode: .continuation, fin: false) }
        let fragmentsTranscript = try await fragments.read()
        #expect(fragmentsTranscript.closeFrameCode == 1002 || fragmentsTranscript.closeFrameCode == 1009)

        // A valid message in three fragments, with a ping between them: processed as one.
        let split = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await split.authenticateHMAC()
        var encoded = ByteBuffer()
        try MessageEncoder(version: .v2).encodeBatch([CourierMessage(header: MessageHeader(flags: .ackRequested, sequence: 1),
                                                                     body: .binaryData(DataMessage(route: .topic("split.check"), payload: ByteBuffer(string: "in pieces"))))], into: &encoded)
        let whole = Array(encoded.readableBytesView)
        try await split.send(Array(whole[0..<3]), opcode: .binary, fin: false)
        try await split.send([1, 2, 3, 4], opcode: .ping, fin: true)
        try await split.send(Array(whole[3..<7]), opcode: .continuation, fin: false)
        try await split.send(Array(whole[7...]), opcode: .continuation, fin: true)
        let splitTranscript = try await split.read { t in t.messages.contains { $0.body == .acknowledge(Acknowledge(sequence: 1)) } }
        #expect(splitTranscript.messages.contains { $0.body == .acknowledge(Acknowledge(sequence: 1)) })
        await split.close()

        // Every healthy session still gets its reliable message acknowledged.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for socket in healthy {
                group.addTask {
                    let message = CourierMessage(header: MessageHeader(flags: .ackRequested, sequence: 1),
                                                 body: .binaryData(DataMessage(route: .topic("healthy.check"), payload: ByteBuffer(string: "ping"))))
                    try await socket.send([message])
                    let transcript = try await socket.read { t in t.messages.contains { $0.body == .acknowledge(Acknowledge(sequence: 1)) } }
                    await socket.close()
                    return !transcript.closed || transcript.messages.contains { $0.body == .acknowledge(Acknowledge(sequence: 1)) }
                }
            }
            var acknowledged = 0
            for try await ok in group where ok { acknowledged += 1 }
            #expect(acknowledged == 100)
        }
    }

    @Test func theEchoEndpointIsAPlainConformantWebSocket() async throws {
        let server = try await TestServer.start(echoPath: "/echo")
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group, subprotocols: [], path: "/echo")
        // Fragmented text with a ping in the middle is reassembled and echoed; the ping is answered.
        try await socket.send(Array("héllo ".utf8), opcode: .text, fin: false)
        try await socket.send(Array("ping".utf8), opcode: .ping)
        try await socket.send(Array("wörld".utf8), opcode: .continuation, fin: true)
        var echoed: [String] = []
        var pongs = 0
        for await event in socket.events {
            guard case .frame(let frame) = event else { break }
            if frame.opcode == .pong { pongs += 1 }
            if frame.opcode == .text { echoed.append(String(buffer: frame.unmaskedData)) }
            if pongs == 1 && echoed.count == 1 { break }
        }
        #expect(echoed == ["héllo wörld"])
        // Invalid UTF-8 in a text message: 1007.
        try await socket.send([0x61, 0xC0, 0x80], opcode: .text)
        let transcript = try await socket.read()
        #expect(transcript.closeFrameCode == 1007)

        let second = try await RawWebSocket.connect(port: server.port, group: server.group, subprotocols: [], path: "/echo")
        try await second.send([0x03, 0xE7], opcode: .connectionClose)  // close code 999 is invalid
        #expect(try await second.read().closeFrameCode == 1002)
    }
}
