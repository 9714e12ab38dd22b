import CourierAuth
import CourierServer
import CourierSession
import CourierWire
import Crypto
import Foundation
import NIOCore
import NIOWebSocket
import Testing

/// The handshake success/failure matrix against a real server on 127.0.0.1.
@Suite("Handshake against a real server", .serialized)
struct HandshakeIntegrationTests {
    @Test func plainHTTPGets426AndABadSubprotocolGets400WithAReason() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let plain = try await rawHTTP(port: server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", group: server.group)
        #expect(plain.hasPrefix("HTTP/1.1 426"))
        #expect(plain.contains("courier.v2"))
        let upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        let missing = try await rawHTTP(port: server.port, upgrade + "\r\n", group: server.group)
        #expect(missing.hasPrefix("HTTP/1.1 400"))
        #expect(missing.contains("no subprotocol offered"))
        let unknown = try await rawHTTP(port: server.port, upgrade + "Sec-WebSocket-Protocol: mqtt\r\n\r\n", group: server.group)
        #expect(unknown.hasPrefix("HTTP/1.1 400"))
        #expect(unknown.contains("unsupported subprotocol mqtt"))
        let elsewhere = try await rawHTTP(port: server.port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", group: server.group)
        #expect(elsewhere.hasPrefix("HTTP/1.1 404"))
    }

    @Test func anOriginOutsideTheAllowListIsRefused() async throws {
        let server = try await TestServer.start(allowedOrigins: ["https://app.example"])
        defer { Task { await server.stop() } }
        let request = "GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: courier.v2\r\n\r\n"
        let response = try await rawHTTP(port: server.port, request, group: server.group)
        #expect(response.hasPrefix("HTTP/1.1 403"))
        #expect(response.contains("origin https://evil.example is not allowed"))
    }

    @Test(arguments: ProtocolVersion.allCases)
    func theServerPicksTheVersionAndHMACSucceeds(version: ProtocolVersion) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group, subprotocols: [version.subprotocol])
        #expect(socket.subprotocol == version.subprotocol)
        let response = try await socket.authenticateHMAC(version: version)
        #expect(response.sessionID != 0)
        #expect(response.version == version.rawValue)
        #expect(response.resume == .new)
        #expect(response.resumeToken.readableBytes == ResumeTokens.length)
        await socket.close()
    }

    @Test func bothSubprotocolsOfferedPicksV2() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group, subprotocols: ["courier.v1", "courier.v2"])
        #expect(socket.subprotocol == "courier.v2")
        await socket.close()
    }

    /// Every failure: the specific Error code, then Close 4004 (or the listed code), then the connection closes.
    @Test func failuresSaySpecificallyWhy() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let key = SymmetricKey(data: TestServer.hmacSecret)

        func attempt(_ makeAuth: ([UInt8]) async throws -> Handshake.Auth) async throws -> Transcript {
            let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
            let nonce = try await socket.challengeNonce()
            var transcript = try await socket.handshake(try await makeAuth(nonce))
            if !transcript.closed && !transcript.messages.contains(where: { $0.type == .handshakeResponse }) {
                let rest = try await socket.read()
                transcript.messages += rest.messages
                transcript.closeFrameCode = rest.closeFrameCode
                transcript.closed = rest.closed
            }
            await socket.close()
            return transcript
        }

        let unknownKey = try await attempt { nonce in .hmac(keyID: "nobody", mac: ByteBuffer(bytes: HMACProof.compute(key: key, nonce: nonce, keyID: "nobody"))) }
        #expect(unknownKey.errorCodes == [.unknownKey])
        #expect(unknownKey.closeMessage?.code == .authenticationFailed)
        #expect(unknownKey.closeFrameCode == CloseCode.authenticationFailed.rawValue)

        let forged = try await attempt { _ in .hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(repeating: 7, count: 32)) }
        #expect(forged.errorCodes == [.badProof])

        // A proof that was accepted once, replayed on a new connection (new challenge).
        let first = try await RawWebSocket.connect(port: server.port, group: server.group)
        let firstNonce = try await first.challengeNonce()
        let acceptedMac = HMACProof.compute(key: key, nonce: firstNonce, keyID: TestServer.hmacKeyID)
        let ok = try await first.handshake(.hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(bytes: acceptedMac)))
        #expect(ok.messages.last?.type == .handshakeResponse)
        let replayed = try await attempt { _ in .hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(bytes: acceptedMac)) }
        #expect(replayed.errorCodes == [.challengeReplayed])
        await first.close()

        let expired = try await attempt { _ in .jwt(token: try await server.token(lifetime: .seconds(60), now: Date().addingTimeInterval(-3_600))) }
        #expect(expired.errorCodes == [.tokenExpired])

        let wrongAudience = try await attempt { _ in .jwt(token: try await server.token(audience: "someone-else")) }
        #expect(wrongAudience.errorCodes == [.tokenWrongAudience])

        let wrongIssuer = try await attempt { _ in .jwt(token: try await server.token(issuer: "mallory")) }
        #expect(wrongIssuer.errorCodes == [.tokenWrongIssuer])

        let algNone = try await attempt { _ in
            let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL
            let claims = Data(#"{"sub":"mallory","exp":4102444800,"aud":"courier-tests","iss":"courier-test-suite"}"#.utf8).base64URL
            return .jwt(token: "\(header).\(claims).")
        }
        #expect(algNone.errorCodes == [.algorithmNotAllowed])

        let otherKey = try await attempt { _ in
            .jwt(token: try await DevelopmentToken.mint(secret: Array("another-secret-that-is-long-enough-0000".utf8), subject: "x", audience: "courier-tests", issuer: "courier-test-suite", lifetime: .seconds(60), now: Date()))
        }
        #expect(otherKey.errorCodes == [.tokenInvalid])

        let good = try await attempt { _ in .jwt(token: try await server.token()) }
        #expect(good.errorCodes.isEmpty)
        #expect(good.messages.contains { $0.type == .handshakeResponse })
    }

    @Test func garbageBeforeTheHandshakeIsAMalformedMessage() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.challengeNonce()
        try await socket.send([0xC1, 0xFF, 0x00, 0x13, 0x37])
        let transcript = try await socket.read()
        #expect(transcript.errorCodes == [.malformedMessage])
        #expect(transcript.closeMessage?.code == .malformedMessage)
        #expect(transcript.closeMessage?.reason.contains("unknown_message_type at byte 1") == true)
        #expect(transcript.closed)
    }

    @Test func anUnsupportedVersionRangeIsRefusedWith4002() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.challengeNonce()
        try await socket.send([CourierMessage(body: .handshake(Handshake(minVersion: 3, maxVersion: 4, auth: .jwt(token: "x"))))])
        let transcript = try await socket.read()
        #expect(transcript.errorCodes == [.unsupportedVersion])
        #expect(transcript.closeFrameCode == CloseCode.unsupportedVersion.rawValue)
    }

    @Test func textFramesAreRefusedWith1003() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.challengeNonce()
        try await socket.send(Array("hello".utf8), opcode: .text)
        let transcript = try await socket.read()
        #expect(transcript.closeFrameCode == 1003)
    }

    @Test func theHandshakeDeadlineClosesWith4001() async throws {
        let server = try await TestServer.start(handshakeTimeout: .milliseconds(150))
        defer { Task { await server.stop() } }
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        let transcript = try await socket.read()
        #expect(transcript.errorCodes == [.handshakeTimeout])
        #expect(transcript.closeFrameCode == CloseCode.handshakeTimeout.rawValue)
    }

    @Test func aConnectionThatNeverUpgradesIsClosed() async throws {
        let server = try await TestServer.start(upgradeTimeout: .milliseconds(150))
        defer { Task { await server.stop() } }
        // Half a request line, then nothing (slowloris).
        let started = ContinuousClock.now
        let response = try await rawHTTP(port: server.port, "GET / HTTP/1.1\r\nHost:", group: server.group)
        #expect(response.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

@Suite("Server configuration")
struct ServerConfigurationTests {
    @Test func anInvalidLimitIsRefusedAtStartWithItsName() throws {
        let auth = try AuthConfiguration(jwtKeys: [try JWTVerificationKey.hs256(secret: TestServer.secret)])
        var configuration = ServerConfiguration(port: 0, secret: TestServer.secret, auth: auth)
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.outboundLowWater = configuration.outboundHighWater
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("outboundLowWater:") }
        configuration.outboundLowWater = 1
        configuration.maxMessageBytes = 0
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("maxMessageBytes:") }
        configuration.maxMessageBytes = 1 << 20
        // Limit types made valid, then mutated: refused at start, not trapped per connection.
        configuration.rateLimits.messagesPerSecond = 0
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("rateLimits:") }
        configuration.rateLimits = .init()
        configuration.addressLimits.connectionBurst = 0
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("addressLimits:") }
        configuration.addressLimits = .init()
        configuration.receiveWindow.minMessages = 0
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("receiveWindow:") }
        configuration.receiveWindow = .init()
        configuration.history?.maxAge = .zero
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("history:") }
        configuration.history = .init()
        configuration.replayLimits.maxBytes = 0
        #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("replayLimits:") }
        configuration.replayLimits = .init()
        #expect(throws: Never.self) { try configuration.validate() }
    }
}
