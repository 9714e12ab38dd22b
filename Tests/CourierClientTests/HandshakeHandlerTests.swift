@testable import CourierClient
import CourierAuth
import CourierSession
import CourierWire
import Crypto
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@Suite("Connection handler: handshake (§10, §11)")
struct HandshakeHandlerTests {
    @Test func challengeIsAnsweredWithAnHMACProofInOneMaskedBinaryFrame() throws {
        let harness = try Harness()
        try harness.receive(Harness.challenge())
        let frames = try harness.written()
        #expect(frames.count == 1)
        let frame = try #require(frames.first)
        #expect(frame.opcode == .binary && frame.fin)
        #expect(frame.maskKey != nil, "client frames are masked (RFC 6455 §5.3)")
        let messages = try harness.decode(frame)
        guard messages.count == 1, case .handshake(let handshake) = messages[0].body else {
            Issue.record("expected one Handshake, got \(messages)")
            return
        }
        let expected = HMACProof.compute(key: SymmetricKey(data: Harness.secret), nonce: Harness.nonce, keyID: "device-42")
        #expect(handshake.auth == .hmac(keyID: "device-42", mac: ByteBuffer(bytes: expected)))
        #expect(handshake.minVersion == 2 && handshake.maxVersion == 2)
        #expect(handshake.resume == nil)
        #expect(messages[0].header.sessionID == nil)
    }

    @Test func jwtAuthenticationSendsTheToken() throws {
        let harness = try Harness(authentication: .jwt(token: "a.b.c"))
        try harness.receive(Harness.challenge())
        let messages = try harness.writtenMessages().flatMap { $0 }
        guard case .handshake(let handshake) = messages.first?.body else {
            Issue.record("no Handshake")
            return
        }
        #expect(handshake.auth == .jwt(token: "a.b.c"))
    }

    @Test func v1ConnectionSpeaksV1() throws {
        let harness = try Harness(version: .v1)
        try harness.receive(Harness.challenge())
        guard case .handshake(let handshake) = try harness.writtenMessages().first?.first?.body else {
            Issue.record("no Handshake")
            return
        }
        #expect(handshake.minVersion == 1 && handshake.maxVersion == 1)
    }

    @Test func handshakeResponseEstablishes() throws {
        let harness = try Harness()
        try harness.receive(Harness.challenge())
        try harness.receive(Harness.response())
        #expect(harness.delegate.established.map(\.sessionID) == [Harness.sessionID])
        #expect(harness.handler.stateMachine.isActive)
    }

    @Test func aChallengeWithoutOurMethodIsRefusedLocally() throws {
        let harness = try Harness(authentication: .jwt(token: "t"))
        try harness.receive(Harness.challenge(methods: .hmac))
        let frames = try harness.written()
        let messages = try frames.filter { $0.opcode == .binary }.flatMap(harness.decode)
        #expect(messages.map(\.type) == [.close])
        #expect(frames.last?.closeCode == 1000)
        harness.loop.advanceTime(by: .seconds(5))
        let end = try #require(harness.delegate.end)
        #expect(end.failure == .authenticationMethodNotOffered("JWT", offered: .hmac))
        #expect(end.allowsReconnect == false)
    }

    @Test func noChallengeWithinTheTimeoutClosesWith4001() throws {
        let harness = try Harness(handshakeTimeout: .seconds(3))
        harness.loop.advanceTime(by: .milliseconds(2_999))
        #expect(try harness.written().isEmpty)
        harness.loop.advanceTime(by: .milliseconds(1))
        let frames = try harness.written()
        let close = try frames.filter { $0.opcode == .binary }.flatMap(harness.decode).first
        guard case .close(let body) = close?.body else {
            Issue.record("expected a Close, got \(String(describing: close))")
            return
        }
        #expect(body.code == .handshakeTimeout)
        #expect(frames.last?.closeCode == 4001)
        harness.loop.advanceTime(by: .seconds(5))
        #expect(harness.channel.isActive == false)
        let end = try #require(harness.delegate.end)
        #expect(end.closeCode == .handshakeTimeout && end.closedLocally && !end.wasEstablished)
        #expect(end.failure?.description.contains("timed out") == true)
    }

    @Test func authenticationErrorIsRememberedForTheEnd() throws {
        let harness = try Harness()
        try harness.receive(Harness.challenge())
        _ = try harness.written()
        try harness.receive([
            CourierMessage(body: .error(ErrorMessage(code: .badProof, message: "proof does not verify"))),
            CourierMessage(body: .close(Close(code: .authenticationFailed, reason: "authentication failed"))),
        ])
        let frames = try harness.written()
        #expect(frames.last?.opcode == .connectionClose && frames.last?.closeCode == 4004)
        let end = try #require(harness.delegate.end)
        #expect(end.handshakeError?.code == .badProof)
        let attempt = ClientCore.Attempt(id: 1)
        #expect(ClientCore.handshakeFailure(attempt, end) == .authenticationFailed(code: .badProof, message: "proof does not verify"))
    }

    @Test func resumeAsksForTheSessionAndReplaysWhatTheServerMissed() throws {
        var session = ReliableSession()
        for text in ["one", "two", "three"] {
            var message = Harness.data(text)
            _ = session.outbound.assign(&message, bytes: text.utf8.count)
        }
        _ = session.inbound.receive(1)
        let ticket = ClientConnectionStateMachine.Ticket(sessionID: Harness.sessionID, resumeToken: ByteBuffer(bytes: [7, 7]))
        let harness = try Harness(resuming: session, ticket: ticket)
        try harness.receive(Harness.challenge())
        guard case .handshake(let handshake) = try harness.writtenMessages().first?.first?.body else {
            Issue.record("no Handshake")
            return
        }
        #expect(handshake.resume == Handshake.Resume(sessionID: Harness.sessionID, token: ByteBuffer(bytes: [7, 7]), lastReceived: 1))

        try harness.receive(Harness.response(resume: .resumed(lastReceived: 1)))
        let frames = try harness.writtenMessages()
        #expect(frames.count == 1, "the replay leaves in one frame")
        let replay = try #require(frames.first).filter { $0.type == .textData }
        #expect(frames.first?.first?.body == .acknowledge(Acknowledge(sequence: 1)), "what arrived before is acknowledged first")
        #expect(replay.map(\.header.sequence) == [2, nil], "first explicit, then implicit (§4)")
        #expect(replay.map(\.header.isReliable) == [true, true])
        #expect(harness.delegate.established.count == 1)
        #expect(harness.handler.stateMachine.session?.outbound.acknowledged == 1)
    }

    @Test func failedResumeReportsTheUnacknowledgedMessages() throws {
        var session = ReliableSession()
        var message = Harness.data("lost?")
        _ = session.outbound.assign(&message, bytes: 5)
        let ticket = ClientConnectionStateMachine.Ticket(sessionID: 7, resumeToken: ByteBuffer(bytes: [1]))
        let harness = try Harness(resuming: session, ticket: ticket)
        try harness.receive(Harness.challenge())
        try harness.receive(Harness.response(resume: .failed(.expired)))
        let reported = harness.delegate.events.compactMap { event -> (HandshakeResponse.ResumeFailure, [CourierMessage])? in
            if case .resumeFailed(_, let reason, let unacknowledged) = event { return (reason, unacknowledged) }
            return nil
        }
        guard let (reason, unacknowledged) = reported.first else {
            Issue.record("expected resumeFailed, got \(harness.delegate.events)")
            return
        }
        #expect(reason == .expired)
        #expect(unacknowledged.map(\.header.sequence) == [1])
    }
}
