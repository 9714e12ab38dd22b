import CourierSession
import CourierWire
import NIOCore
import Testing

@Suite("Server connection state machine")
struct ServerConnectionStateMachineTests {
    func machine(heartbeat: Duration = .seconds(1)) -> ServerConnectionStateMachine {
        ServerConnectionStateMachine(configuration: .init(version: .v2, handshakeTimeout: .seconds(10), heartbeatInterval: heartbeat), now: at(0))
    }

    func active(heartbeat: Duration = .seconds(1)) -> ServerConnectionStateMachine {
        var sm = machine(heartbeat: heartbeat)
        _ = sm.received(handshake(), now: at(1))
        _ = sm.authenticated(session: ReliableSession(), response: response(), clientLastReceived: nil, now: at(2))
        return sm
    }

    @Test func theChallengeCarriesTheNonceAndDeadline() {
        let sm = machine()
        let challenge = sm.challenge(nonce: Array(repeating: 9, count: 32), authMethods: .jwt)
        guard case .challenge(let c) = challenge.body else { Issue.record("not a challenge"); return }
        #expect(c.nonce.readableBytes == 32)
        #expect(c.deadlineMillis == 10_000)
        #expect(c.authMethods == .jwt)
    }

    @Test func aHandshakeAsksForAuthenticationThenTheResponseIsSent() throws {
        var sm = machine()
        let action = sm.received(handshake(), now: at(1))
        guard case .authenticate = action else { Issue.record("expected authenticate, got \(action)"); return }
        let result = sm.authenticated(session: ReliableSession(), response: response(), clientLastReceived: nil, now: at(2))
        let messages = try #require(result).get()
        #expect(messages.count == 1)
        #expect(messages.first?.type == .handshakeResponse)
        #expect(sm.isActive)
    }

    @Test func dataBeforeTheHandshakeIsAnUnexpectedMessage() {
        var sm = machine()
        guard case .close(let violation) = sm.received(data("x", sequence: 1), now: at(1)) else { Issue.record("expected close"); return }
        #expect(violation.close.code == .unexpectedMessage)
        #expect(violation.error?.code == .unexpectedMessage)
        #expect(sm.received(data("y", sequence: 2), now: at(2)) == .none, "nothing is processed after closing")
    }

    @Test func anUnsupportedVersionRangeIsRefused() {
        var sm = machine()
        guard case .close(let violation) = sm.received(handshake(versions: 1...1), now: at(1)) else { Issue.record("expected close"); return }
        #expect(violation.close.code == .unsupportedVersion)
        #expect(violation.error?.code == .unsupportedVersion)
    }

    @Test func aMessageWhileAuthenticatingIsRefused() {
        var sm = machine()
        _ = sm.received(handshake(), now: at(1))
        guard case .close(let v) = sm.received(handshake(), now: at(2)) else { Issue.record("expected close"); return }
        #expect(v.close.code == .unexpectedMessage)
    }

    @Test func failedAuthenticationClosesWith4004AndTheSpecificCode() {
        var sm = machine()
        _ = sm.received(handshake(), now: at(1))
        let violation = sm.authenticationFailed(code: .tokenExpired, reason: "expired 3 minutes ago")
        #expect(violation?.close.code == .authenticationFailed)
        #expect(violation?.error?.code == .tokenExpired)
    }

    @Test func theHandshakeDeadlineClosesWith4001() {
        var sm = machine()
        #expect(sm.nextWakeup == at(10_000))
        #expect(sm.tick(now: at(9_999)) == .none)
        guard case .close(let v) = sm.tick(now: at(10_000)) else { Issue.record("expected close"); return }
        #expect(v.close.code == .handshakeTimeout)
        #expect(v.error?.code == .handshakeTimeout)
    }

    @Test func malformedBytesCloseWith4000NamingTheError() {
        var sm = active()
        let violation = sm.decodeFailed(WireError(.badMagic, at: 0, "magic"))
        #expect(violation.close.code == .malformedMessage)
        #expect(violation.close.reason.contains("bad_magic"))
        #expect(sm.connectionClosed() != nil, "the session survives for a resume")
    }

    @Test func reliableDataIsDeliveredInOrderAndAcknowledgedOncePerBatch() {
        var sm = active()
        for n in 1...3 {
            guard case .deliver(let m) = sm.received(data("m\(n)", sequence: n == 1 ? 1 : nil), now: at(10)) else { Issue.record("not delivered"); return }
            #expect(m.header.sequence == UInt32(n), "implicit sequences are resolved")
        }
        #expect(sm.takeAcknowledgement()?.body == .acknowledge(Acknowledge(sequence: 3)))
        #expect(sm.takeAcknowledgement() == nil, "acknowledgements coalesce")
    }

    @Test func anImplicitSequenceWithoutAnExplicitOneFirstIsAViolation() {
        var sm = active()
        guard case .close(let v) = sm.received(data("m"), now: at(10)) else { Issue.record("expected close"); return }
        #expect(v.close.code == .unexpectedMessage)
    }

    @Test func aGapInSequencesIsAViolation() {
        var sm = active()
        _ = sm.received(data("a", sequence: 1), now: at(10))
        guard case .close(let v) = sm.received(data("c", sequence: 3), now: at(11)) else { Issue.record("expected close"); return }
        #expect(v.close.reason.contains("expected 2, got 3"))
    }

    @Test func pingsArePongedAndHeartbeatsDetectADeadPeerWithin2Point5Intervals() {
        var sm = active(heartbeat: .seconds(1))
        #expect(sm.received(CourierMessage(body: .heartbeat(Heartbeat(kind: .ping, value: 42))), now: at(100))
            == .send(CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: 42)))))
        // Last received at t=100 ms: pings at 1 s intervals from activation (t=2 ms).
        guard case .send(let ping) = sm.tick(now: at(1_002)), case .heartbeat(let beat) = ping.body else { Issue.record("expected a ping"); return }
        #expect(beat.kind == .ping)
        #expect(sm.tick(now: at(1_500)) == .none)
        guard case .send = sm.tick(now: at(2_002)) else { Issue.record("expected a second ping"); return }
        // Silent since t=100: dead at t=2,600 (2.5 intervals), not before.
        #expect(sm.tick(now: at(2_599)) == .none)
        guard case .close(let v) = sm.tick(now: at(2_600)) else { Issue.record("expected heartbeat timeout"); return }
        #expect(v.close.code == .heartbeatTimeout)
    }

    @Test func anAcknowledgementOfUnsentDataIsAViolation() {
        var sm = active()
        guard case .close(let v) = sm.received(CourierMessage(body: .acknowledge(Acknowledge(sequence: 5))), now: at(5)) else { Issue.record("expected close"); return }
        #expect(v.close.code == .unexpectedMessage)
    }

    @Test func resumeReplaysWhatTheClientMissedAfterTheResponse() throws {
        var session = ReliableSession()
        for n in 1...5 {
            var m = data("s\(n)", reliable: false)
            _ = session.outbound.assign(&m, bytes: 2)
        }
        var sm = machine()
        _ = sm.received(handshake(resume: .init(sessionID: 7, token: ByteBuffer(), lastReceived: 3)), now: at(1))
        let result = sm.authenticated(session: session, response: response(.resumed(lastReceived: 0)), clientLastReceived: 3, now: at(2))
        let messages = try #require(result).get()
        #expect(messages.map(\.type) == [.handshakeResponse, .binaryData, .binaryData])
        #expect(messages.dropFirst().map(\.header.sequence) == [4, 5])
        #expect(sm.session?.outbound.unacknowledgedCount == 2)
    }

    @Test func aResumeClaimingUnsentSequencesIsRefused() {
        var sm = machine()
        _ = sm.received(handshake(), now: at(1))
        let result = sm.authenticated(session: ReliableSession(), response: response(.resumed(lastReceived: 0)), clientLastReceived: 9, now: at(2))
        guard case .failure(let v)? = result else { Issue.record("expected failure"); return }
        #expect(v.close.code == .unexpectedMessage)
    }
}
