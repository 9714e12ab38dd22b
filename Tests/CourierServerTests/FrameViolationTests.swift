import CourierWire
import NIOCore
import Testing

/// WebSocket frames RFC 6455 forbids from a client, sent over plain TCP right behind
/// the upgrade request (so they reach the server's own frame parser in the same read
/// as, or just after, the upgrade): 1002 with a reason, and nothing else breaks.
@Suite("WebSocket frame violations against a real server")
struct FrameViolationTests {
    static let upgrade = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: courier.v2\r\n\r\n"

    /// Every byte the server sent until it closed the connection.
    static func exchange(port: Int, group: any EventLoopGroup, _ bytes: [UInt8]) async throws -> [UInt8] {
        var request = ByteBuffer(string: upgrade)
        request.writeBytes(bytes)
        return try await rawExchange(port: port, request, group: group)
    }

    /// The close code of the WebSocket close frame in `bytes` (server frames are unmasked).
    static func closeFrameCode(in bytes: [UInt8]) -> UInt16? {
        guard let headerEnd = bytes.indices.first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) }) else { return nil }
        var index = headerEnd + 4
        while index + 1 < bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126 {
                length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                start += 2
            }
            if opcode == 0x8, length >= 2, start + 1 < bytes.count { return UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1]) }
            index = start + length
        }
        return nil
    }

    @Test(arguments: [
        ("an unmasked frame", [0x82, 0x01, 0x00] as [UInt8], "client frames must be masked"),
        ("a reserved bit", [0xC2, 0x81, 1, 2, 3, 4, 5], "reserved bits set"),
        ("an unknown opcode", [0x83, 0x81, 1, 2, 3, 4, 5], "unknown opcode 0x3"),
        ("a fragmented ping", [0x09, 0x80, 1, 2, 3, 4], "fragmented control frame"),
    ])
    func aForbiddenFrameIsRefusedWith1002AndAReason(name: String, frame: [UInt8], reason: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let response = try await Self.exchange(port: server.port, group: server.group, frame)
        #expect(String(decoding: response.prefix(12), as: UTF8.self) == "HTTP/1.1 101", "\(name)")
        #expect(Self.closeFrameCode(in: response) == 1002, "\(name)")
        #expect(String(decoding: response, as: UTF8.self).contains(reason), "\(name)")
    }

    @Test func aFrameOverTheLimitIsRefusedWith1009BeforeItsPayloadArrives() async throws {
        let server = try await TestServer.start(maxMessageBytes: 4_096)
        defer { Task { await server.stop() } }
        // Only the header of a 16 MiB frame: the server closes without waiting for the payload.
        let response = try await Self.exchange(port: server.port, group: server.group, [0x82, 0xFF, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4])
        #expect(Self.closeFrameCode(in: response) == 1009)
        #expect(String(decoding: response, as: UTF8.self).contains("over the limit"))
    }
}
