import Logging
import CourierAuth
import CourierSession
import CourierWire
import NIOCore

/// Authentication and session set-up: the one step that leaves the event loop
/// (jwt-kit verifies asynchronously) and comes back to it.
extension ServerConnectionHandler {
    func authenticate(_ handshake: Handshake) {
        guard let context = channelContext, agreeCompression(handshake) else { return }
        let authenticator = server.authenticator
        let nonce = self.nonce
        let wallNow = server.configuration.clock.wallNow()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Result<Principal, AuthFailure>.self)
        promise.completeWithTask { await authenticator.authenticate(handshake, nonce: nonce, now: wallNow) }
        promise.futureResult.whenSuccess { result in
            bound.value.finishAuthentication(handshake, result)
        }
    }

    func finishAuthentication(_ handshake: Handshake, _ result: Result<Principal, AuthFailure>) {
        guard !detached else { return }
        switch result {
        case .failure(let failure):
            logger.notice("authentication failed", metadata: ["code": "\(failure.code)", "reason": "\(failure.reason)"])
            server.metrics.handshake(outcome: "failed", reason: failure.code.name)
            server.handshakeFailed(from: address)
            if let violation = machine.authenticationFailed(code: failure.code, reason: failure.reason) {
                perform(violation: violation)
            }
        case .success(let principal):
            self.principal = principal
            logger[metadataKey: "user"] = "\(principal.userID)"
            if let resume = handshake.resume {
                attemptResume(resume, principal: principal, retry: true)
            } else {
                startNewSession(principal: principal, resume: .new)
            }
        }
    }

    func attemptResume(_ resume: Handshake.Resume, principal: Principal, retry: Bool) {
        let token = Array(resume.token.readableBytesView)
        if case .failure(let reason) = server.resumeTokens.verify(token, sessionID: resume.sessionID, now: server.configuration.clock.wallNow()) {
            return resumeFailed(reason, principal: principal)
        }
        switch server.registry.resume(sessionID: resume.sessionID, principal: principal, mailbox: mailbox()) {
        case .failed(let reason):
            resumeFailed(reason, principal: principal)
        case .resumed(let reliable, let aliases):
            sessionID = resume.sessionID
            inboundAliases = aliases
            logger[metadataKey: "session"] = "\(resume.sessionID)"
            server.metrics.resume(outcome: "resumed")
            establish(reliable: reliable, status: .resumed(lastReceived: reliable.inbound.lastReceived), clientLastReceived: resume.lastReceived)
        case .handOver(let old):
            // The session is still attached elsewhere (often a half-open connection):
            // close that one with 4006, then take the session over.
            guard retry, let context = channelContext else { return resumeFailed(.unknownSession, principal: principal) }
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            old.eventLoop.flatSubmit { old.handOver(.sessionReplaced) }.hop(to: context.eventLoop).whenComplete { _ in
                bound.value.attemptResume(resume, principal: principal, retry: false)
            }
        case .detaching(let old):
            // The previous connection died a moment ago (a reset, a killed socket) and
            // the client came back before the session reached the registry: that step
            // is queued on the old connection's event loop, so try again behind it.
            guard retry, let context = channelContext else { return resumeFailed(.unknownSession, principal: principal) }
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            old.eventLoop.submit {}.hop(to: context.eventLoop).whenComplete { _ in
                bound.value.attemptResume(resume, principal: principal, retry: false)
            }
        }
    }

    func resumeFailed(_ reason: HandshakeResponse.ResumeFailure, principal: Principal) {
        logger.info("resume failed", metadata: ["reason": "\(reason.name)"])
        server.metrics.resume(outcome: reason.name)
        startNewSession(principal: principal, resume: .failed(reason))
    }

    func startNewSession(principal: Principal, resume: HandshakeResponse.ResumeStatus) {
        let id = server.registry.create(principal: principal, mailbox: mailbox())
        sessionID = id
        logger[metadataKey: "session"] = "\(id)"
        establish(reliable: ReliableSession(limits: server.configuration.replayLimits), status: resume, clientLastReceived: nil)
    }

    func establish(reliable: ReliableSession, status: HandshakeResponse.ResumeStatus, clientLastReceived: UInt32?) {
        guard let id = sessionID else { return }
        let configuration = server.configuration
        let token = server.resumeTokens.issue(sessionID: id, now: configuration.clock.wallNow(), lifetime: configuration.resumeTokenLifetime)
        let response = HandshakeResponse(
            version: version.rawValue, sessionID: id, resumeToken: ByteBuffer(bytes: token),
            heartbeatMillis: UInt32(clamping: configuration.heartbeatInterval.milliseconds),
            creditMessages: receiveWindow.initialGrant.messages, creditBytes: receiveWindow.initialGrant.bytes,
            maxMessageBytes: UInt32(clamping: configuration.maxMessageBytes), resume: status, extensions: compressionExtension
        )
        switch machine.authenticated(session: reliable, response: response, clientLastReceived: clientLastReceived, now: now) {
        case .none:
            server.registry.end(sessionID: id)  // the connection closed while authenticating
        case .success(let messages)?:
            server.metrics.handshake(outcome: "accepted", reason: "ok")
            logger.info("session established", metadata: ["replayed": "\(messages.count - 1)"])
            for message in messages {
                // Replayed data counts against the client's first grant like any other (§16.3).
                if let payload = message.dataPayload { sentBeforeGrant.add(bytes: payload.readableBytes) }
                enqueue(message)
            }
            flush()
            updateTimer()
        case .failure(let violation)?:
            perform(violation: violation)
        }
    }

    /// How the registry and other sessions reach this connection.
    func mailbox() -> ConnectionMailbox {
        let eventLoop = channelContext!.eventLoop
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        return ConnectionMailbox(
            connectionID: connectionID, eventLoop: eventLoop,
            deliver: { run in bound.value.deliverFromRouter(run) },
            endOfDeliveries: { bound.value.endOfDeliveries() },
            handOver: { code in
                // Closing detaches; the future completes once the session is in the registry.
                let handler = bound.value
                let pending = handler.detachSession(reason: "handed over to a resuming connection")
                handler.finishClosing(Close(code: code, reason: "session resumed on another connection"))
                return pending ?? eventLoop.makeSucceededVoidFuture()
            }
        )
    }
}
