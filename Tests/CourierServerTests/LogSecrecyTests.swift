import CourierAuth
import CourierClient
import CourierServer
import CourierWire
import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Keeps every line logged, message and metadata, as text.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(rendered)") }
    }
}

/// No secret, token or proof reaches the server's log, even at trace level, and the
/// connection handler's lines carry the connection and session ids.
@Suite("Log secrecy", .serialized)
struct LogSecrecyTests {
    @Test func handshakesAtTraceLevelLogNoTokenNoSecretNoProof() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "courier.secrecy") { _ in CapturingLogHandler(lines: lines) }
        let server = try await TestServer.start(logger: logger)
        defer { Task { await server.stop() } }

        // A JWT handshake through the client (it also receives a resume token).
        let token = try await server.token(user: "alice")
        let client = CourierClient(configuration: .init(host: "127.0.0.1", port: server.port, authentication: .jwt(token: token)), eventLoopGroup: server.group)
        try await client.connect()
        _ = try await client.subscribe("room.1")
        await client.close()

        // An HMAC handshake by hand, keeping the proof and the resume token.
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        let nonce = try await socket.challengeNonce()
        let mac = HMACProof.compute(key: SymmetricKey(data: TestServer.hmacSecret), nonce: nonce, keyID: TestServer.hmacKeyID)
        let accepted = try await socket.handshake(.hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(bytes: mac)))
        guard case .handshakeResponse(let response)? = accepted.messages.last?.body else { throw TestFailure("no HandshakeResponse") }
        let resumeToken = Array(response.resumeToken.readableBytesView)
        await socket.close()

        // Failures: a token for someone else's audience, a resume with a forged token.
        let wrongAudience = try await server.token(audience: "someone-else")
        let refused = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await refused.challengeNonce()
        _ = try await refused.handshake(.jwt(token: wrongAudience))
        await refused.close()
        let forged = Array(repeating: UInt8(0xAB), count: ResumeTokens.length)
        let resuming = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await resuming.challengeNonce()
        _ = try await resuming.handshake(.jwt(token: token), resume: .init(sessionID: response.sessionID, token: ByteBuffer(bytes: forged), lastReceived: 0))
        await resuming.close()
        // A refused HTTP request whose query string carries the token.
        let queried = try await rawHTTP(port: server.port, "GET /?token=\(token) HTTP/1.1\r\nHost: x\r\n\r\n", group: server.group)
        #expect(queried.hasPrefix("HTTP/1.1 426"))
        try await Task.sleep(for: .milliseconds(200))

        let log = lines.withLockedValue { $0 }.joined(separator: "\n")
        #expect(log.contains("session established"))
        #expect(log.contains("authentication failed"))
        #expect(log.contains("resume failed"))
        #expect(log.contains("HTTP request refused"))
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let secrets: [(String, String)] = [
            ("JWT", token), ("JWT signature", String(token.split(separator: ".").last ?? "")), ("refused JWT", wrongAudience),
            ("server secret", String(decoding: TestServer.secret, as: UTF8.self)), ("server secret hex", hex(TestServer.secret)),
            ("HMAC secret", String(decoding: TestServer.hmacSecret, as: UTF8.self)), ("HMAC secret hex", hex(TestServer.hmacSecret)),
            ("HMAC proof hex", hex(mac)), ("HMAC proof base64", Data(mac).base64EncodedString()),
            ("resume token hex", hex(resumeToken)), ("resume token base64", Data(resumeToken).base64EncodedString()),
            ("forged resume token hex", hex(forged)), ("challenge nonce hex", hex(nonce)),
        ]
        for (name, secret) in secrets where !secret.isEmpty {
            #expect(!log.contains(secret), "the log contains the \(name)")
        }
        // Byte arrays as Swift prints them ("[171, 171, …]") are caught by the decimal form.
        #expect(!log.contains(resumeToken.prefix(8).map(String.init).joined(separator: ", ")))
        #expect(!log.contains(mac.prefix(8).map(String.init).joined(separator: ", ")))

        // The handler's lines carry the connection; once there is a session, its id too.
        let established = lines.withLockedValue { $0 }.filter { $0.contains("session established") }
        #expect(!established.isEmpty)
        for line in established {
            #expect(line.contains("connection="))
            #expect(line.contains("session="))
            #expect(line.contains("user="))
        }
    }
}
