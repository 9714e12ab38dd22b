import CourierSession
import CourierWire
import Logging
import NIOCore

// What connections report, and reconnecting (§12, §14).
extension ClientCore: ConnectionHandlerDelegate {
    func connection(_ id: Int, _ event: ConnectionHandlerEvent) {
        guard let attempt = currentAttempt, attempt.id == id else { return }
        switch event {
        case .established(let response):
            established(attempt, response)
            let resumed: Bool
            if case .resumed = response.resume { resumed = true } else { resumed = false }
            if !resumed { aliases.removeAll() }
            if resumed, let acknowledged = attempt.handler?.stateMachine.session?.outbound.acknowledged {
                resolveAckWaiters(through: acknowledged)
            }
            emit(.connected(sessionID: response.sessionID, resumed: resumed))
            drainPendingSends()
        case .resumeFailed(let response, let reason, let unacknowledged):
            established(attempt, response)
            aliases.removeAll()
            while let waiter = ackWaiters.popFirst() { waiter.promise.fail(CourierClientError.resumeFailed(reason)) }
            logger.info("session could not be resumed", metadata: ["reason": "\(reason.name)", "unacknowledged": "\(unacknowledged.count)"])
            emit(.resumeFailed(reason: reason, unacknowledged: unacknowledged))
            emit(.connected(sessionID: response.sessionID, resumed: false))
            drainPendingSends()
        case .received(let message):
            received(message, on: attempt)
        case .creditGranted:
            drainPendingSends()
        case .acknowledged(let sequence):
            resolveAckWaiters(through: sequence)
            drainPendingSends()
        case .peerError(let error):
            if case .request(let requestID) = error.reference, let waiter = subscribeWaiters.removeValue(forKey: requestID) {
                waiter.promise.fail(CourierClientError.requestRejected(code: error.code, message: error.message))
            } else {
                logger.debug("server error", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
                emit(.serverError(error))
            }
        case .readComplete:
            flushInbox()
        case .ended(let end):
            attemptEnded(id, end)
        }
    }

    private func established(_ attempt: Attempt, _ response: HandshakeResponse) {
        attempt.established = true
        ticket = ClientConnectionStateMachine.Ticket(sessionID: response.sessionID, resumeToken: response.resumeToken)
        serverMaxMessageBytes = Int(response.maxMessageBytes)
        readAgreement(response)
        backoff.connected(now: now)
        if case .connecting = phase { phase = .active(attempt) }
        connectPromise?.succeed(())
        connectPromise = nil
    }

    private func received(_ message: CourierMessage, on attempt: Attempt) {
        switch message.body {
        case .subscribeResult(let result):
            guard let waiter = subscribeWaiters.removeValue(forKey: result.requestID) else { return }
            if !waiter.pattern.contains("*") && !waiter.pattern.contains(">") { aliases[result.channel] = waiter.pattern }
            if result.epoch != 0 { channelOffsets[result.channel] = result.offset }
            waiter.promise.succeed(Subscription(
                pattern: waiter.pattern, channel: result.channel, epoch: result.epoch, offset: result.offset, recovery: result.recovery
            ))
        default:
            guard message.type.isData else { return }
            // History offsets count the reliable deliveries of the channel, also one
            // that cannot be expanded (a snapshot answer is unreliable and has none).
            var offset: UInt64?
            if message.header.isReliable, case .channel(let alias)? = message.dataRoute, let next = channelOffsets[alias] {
                offset = next
                channelOffsets[alias] = next + 1
            }
            guard let message = expand(message) else { return }
            if var incoming = IncomingMessage(message, topic: topic(for:)) {
                incoming.offset = offset
                inbox.append(incoming)
                // The handler counted it against its receive window when flow control is on.
                let charged = attempt.handler?.receiveWindow != nil
                inboxCharges.append(Charge(attemptID: charged ? attempt.id : nil, bytes: incoming.payload.readableBytes))
            }
        }
    }

    /// The topic a route names, learning alias bindings on the way (§7.8).
    func topic(for route: Route) -> String? {
        switch route {
        case .bind(let alias, let topic):
            aliases[alias] = topic
            return topic
        case .channel(let alias): return aliases[alias]
        case .topic(let topic): return topic
        case .session, .user: return nil
        }
    }

    /// The connection (or the attempt to make one) is over: finish, or wait and retry.
    func attemptEnded(_ id: Int, _ end: ConnectionEnd) {
        guard let attempt = currentAttempt, attempt.id == id else { return }
        attempt.upgradeTimer?.cancel()
        attempt.upgradeTimer = nil
        if let session = end.session { carriedSession = session }
        flushInbox()
        let lost = subscribeWaiters.filter(\.value.sent)
        for (requestID, waiter) in lost {
            subscribeWaiters[requestID] = nil
            waiter.promise.fail(CourierClientError.connectionLost)
        }
        if case .closing = phase {
            finish(failing: .closed)
            return
        }
        if let promise = connectPromise {
            // The first connection never became Active: connect() fails, nothing to resume.
            let error = Self.handshakeFailure(attempt, end)
            connectPromise = nil
            phase = .idle
            carriedSession = nil
            ticket = nil
            failPendingSends(error)
            logger.debug("connect failed", metadata: ["error": "\(error)"])
            promise.fail(error)
            return
        }
        // A TLS failure says more than "closed before the upgrade".
        let reason = attempt.failure.flatMap { $0.isTLSFailure ? "\($0)" : nil } ?? end.reason
        emit(.disconnected(reason: reason, closeCode: end.closeCode?.rawValue))
        backoff.disconnected(now: now, hint: end.retryHint)
        guard end.allowsReconnect, !(attempt.failure?.forbidsReconnect ?? false) else {
            logger.warning("not reconnecting", metadata: ["code": "\(end.closeCode.map { "\($0)" } ?? "none")", "reason": "\(end.reason)"])
            finish(failing: attempt.failure ?? .connectionClosed(code: end.closeCode, reason: end.reason))
            return
        }
        guard let delay = backoff.nextDelay(using: &random) else {
            emit(.gaveUp)
            finish(failing: .gaveUp)
            return
        }
        emit(.reconnecting(attempt: backoff.attempts, delay: delay))
        logger.debug("reconnecting", metadata: ["attempt": "\(backoff.attempts)", "delay": "\(delay)"])
        let task = loop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { self.reconnectDue() }
        phase = .waiting(task)
    }

    private func reconnectDue() {
        guard case .waiting = phase else { return }
        startAttempt()
    }
}
