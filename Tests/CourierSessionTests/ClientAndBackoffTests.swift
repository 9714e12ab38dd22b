import CourierSession
import CourierWire
import NIOCore
import Testing

@Suite("Client connection state machine and reconnect backoff")
struct ClientAndBackoffTests {
    let challenge = CourierMessage(body: .challenge(Challenge(nonce: ByteBuffer(bytes: Array(repeating: 1, count: 16)), minVersion: 1, maxVersion: 2, authMethods: .all, deadlineMillis: 10_000)))

    @Test func aFreshConnectionAnswersTheChallengeAndBecomesActive() {
        var sm = ClientConnectionStateMachine(configuration: .init(version: .v2), now: at(0))
        guard case .respond = sm.received(challenge, now: at(1)) else { Issue.record("expected respond"); return }
        let hello = sm.makeHandshake(auth: .jwt(token: "t"))
        guard case .handshake(let h)? = hello?.body else { Issue.record("no handshake"); return }
        #expect(h.resume == nil)
        guard case .established(_, let replay) = sm.received(CourierMessage(body: .handshakeResponse(response())), now: at(2)) else { Issue.record("not established"); return }
        #expect(replay.isEmpty)
        #expect(sm.isActive)
    }

    @Test func aResumeAsksFromTheLastReceivedAndReplaysWhatTheServerMissed() {
        var session = ReliableSession()
        _ = session.inbound.receive(1)
        _ = session.inbound.receive(2)
        for n in 1...4 {
            var m = data("c\(n)", reliable: false)
            _ = session.outbound.assign(&m, bytes: 2)
        }
        let ticket = ClientConnectionStateMachine.Ticket(sessionID: 7, resumeToken: ByteBuffer(bytes: [9]))
        var sm = ClientConnectionStateMachine(configuration: .init(version: .v2), resuming: session, ticket: ticket, now: at(0))
        _ = sm.received(challenge, now: at(1))
        guard case .handshake(let h)? = sm.makeHandshake(auth: .jwt(token: "t"))?.body else { Issue.record("no handshake"); return }
        #expect(h.resume?.lastReceived == 2)
        #expect(h.resume?.sessionID == 7)
        guard case .established(_, let replay) = sm.received(CourierMessage(body: .handshakeResponse(response(.resumed(lastReceived: 2)))), now: at(2)) else {
            Issue.record("not established"); return
        }
        #expect(replay.compactMap(\.payloadText) == ["c3", "c4"])
        // The server's replay of something we already have is dropped as a duplicate.
        #expect(sm.received(data("s2", sequence: 2), now: at(3)) == .none)
        guard case .deliver(let m) = sm.received(data("s3", sequence: nil), now: at(4)) else { Issue.record("s3 not delivered"); return }
        #expect(m.header.sequence == 3)
    }

    @Test func aFailedResumeHandsBackEveryUnacknowledgedMessage() {
        var session = ReliableSession()
        for n in 1...3 {
            var m = data("c\(n)", reliable: false)
            _ = session.outbound.assign(&m, bytes: 2)
        }
        _ = session.outbound.acknowledge(1)
        var sm = ClientConnectionStateMachine(configuration: .init(version: .v2), resuming: session, ticket: .init(sessionID: 7, resumeToken: ByteBuffer()), now: at(0))
        _ = sm.received(challenge, now: at(1))
        _ = sm.makeHandshake(auth: .jwt(token: "t"))
        guard case .resumeFailed(_, let reason, let unacknowledged) = sm.received(CourierMessage(body: .handshakeResponse(response(.failed(.expired)))), now: at(2)) else {
            Issue.record("expected resumeFailed"); return
        }
        #expect(reason == .expired)
        #expect(unacknowledged.compactMap(\.payloadText) == ["c2", "c3"])
        #expect(sm.session?.outbound.lastSent == 0, "the new session numbers from 1")
    }

    @Test func anErrorThenCloseDuringTheHandshakeIsReported() {
        var sm = ClientConnectionStateMachine(configuration: .init(version: .v2), now: at(0))
        _ = sm.received(challenge, now: at(1))
        _ = sm.makeHandshake(auth: .jwt(token: "t"))
        let error = ErrorMessage(code: .tokenExpired, message: "expired")
        #expect(sm.received(CourierMessage(body: .error(error)), now: at(2)) == .peerError(error))
        let close = Close(code: .authenticationFailed, reason: "authentication failed")
        #expect(sm.received(CourierMessage(body: .close(close)), now: at(3)) == .peerClosed(close))
    }

    @Test func backoffIsFullJitterUnderAnExponentialCeiling() {
        var backoff = ReconnectBackoff(policy: .init(base: .milliseconds(100), cap: .seconds(2), maxAttempts: 8))
        var rng = SeededGenerator(state: 1)
        let ceilings: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1.6), .seconds(2), .seconds(2), .seconds(2)]
        for ceiling in ceilings {
            let delay = backoff.nextDelay(using: &rng)
            #expect(delay != nil && delay! >= .zero && delay! <= ceiling)
        }
        #expect(backoff.nextDelay(using: &rng) == nil, "gives up after maxAttempts")
    }

    @Test func backoffSpreadsClientsOverTheWholeWindow() {
        // 10,000 first attempts: uniformly spread over [0, base].
        var rng = SeededGenerator(state: 42)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<10_000 {
            var backoff = ReconnectBackoff(policy: .init(base: .milliseconds(1_000)))
            let delay = backoff.nextDelay(using: &rng)!
            buckets[min(9, Int(delay.milliseconds / 100))] += 1
        }
        #expect(buckets.allSatisfy { $0 > 800 && $0 < 1_200 }, "\(buckets)")
    }

    @Test func aStableConnectionResetsTheAttemptsAndARetryHintWins() {
        var backoff = ReconnectBackoff(policy: .init(base: .milliseconds(100), cap: .seconds(30), maxAttempts: 3, stablePeriod: .seconds(10)))
        var rng = SeededGenerator(state: 3)
        _ = backoff.nextDelay(using: &rng)
        _ = backoff.nextDelay(using: &rng)
        backoff.connected(now: at(0))
        backoff.disconnected(now: at(5_000))
        #expect(backoff.attempts == 2, "5 s is not stable")
        backoff.connected(now: at(6_000))
        backoff.disconnected(now: at(16_000), hint: .init(after: .seconds(2), jitter: .seconds(3)))
        #expect(backoff.attempts == 0)
        let hinted = backoff.nextDelay(using: &rng)!
        #expect(hinted >= .seconds(2) && hinted <= .seconds(5))
    }

    @Test func byDefaultOneSecondActiveIsStableAndLessIsNot() {
        var backoff = ReconnectBackoff()
        var rng = SeededGenerator(state: 5)
        _ = backoff.nextDelay(using: &rng)
        _ = backoff.nextDelay(using: &rng)
        backoff.connected(now: at(0))
        backoff.disconnected(now: at(999))
        #expect(backoff.attempts == 2, "a connection dropped within a second counts as a failed attempt")
        _ = backoff.nextDelay(using: &rng)
        backoff.connected(now: at(2_000))
        backoff.disconnected(now: at(3_000))
        #expect(backoff.attempts == 0, "a connection Active for a second was a success: the next delay starts from the base again")
        #expect(backoff.nextDelay(using: &rng)! <= .milliseconds(100))
    }
}
