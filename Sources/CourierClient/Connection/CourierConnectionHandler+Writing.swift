import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOWebSocket

// Sending, batching and closing.
extension CourierConnectionHandler {
    /// Numbers (when reliable) and queues a message for this tick's frame. A data
    /// message the send credit does not cover is refused before it is numbered.
    func send(_ message: CourierMessage, reliable: Bool, bytes: Int) -> SendOutcome {
        guard ending == nil, stateMachine.isActive else { return .unavailable }
        if needsCredit(message) { return .noCredit }
        guard let result = stateMachine.send(message, reliable: reliable, bytes: bytes) else { return .unavailable }
        switch result {
        case .send(let numbered):
            enqueue(numbered)
            return .queued(sequence: numbered.header.isReliable ? numbered.header.sequence : nil)
        case .bufferFull:
            return .bufferFull
        }
    }

    /// The application closes: acknowledge what arrived, send Close, then the
    /// WebSocket close frame, and wait for the server's (§10).
    func closeByApplication(_ close: Close) {
        guard let context else { return }
        guard ending == nil else {
            if !closeFrameSent { context.close(promise: nil) }
            return
        }
        if let ack = stateMachine.takeAcknowledgement() { batcher.append(ack) }
        closeLocally(close)
    }

    func enqueue(_ message: CourierMessage) {
        batcher.append(message)
        scheduleFlush()
    }

    /// Everything written during this tick leaves in one frame with one flush: at the
    /// end of the read batch, or in a task queued behind the current one.
    func scheduleFlush() {
        guard !flushScheduled, !inReadBatch, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushNow()
        }
    }

    func flushNow() {
        guard let context else { return }
        if !batcher.isEmpty {
            if closeFrameSent {
                _ = batcher.drain(allocator: context.channel.allocator)
                return
            }
            let (frames, failures) = batcher.drain(allocator: context.channel.allocator)
            for failure in failures {
                logger.error("message not sent: it does not encode", metadata: ["type": "\(failure.message.type)", "error": "\(failure.error)"])
            }
            for frame in frames {
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: frame)), promise: nil)
            }
            needsFlush = needsFlush || !frames.isEmpty
        }
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    /// This side closes with `close` (the state machine moves to Closing).
    func closeLocally(_ close: Close, failure: CourierClientError? = nil) {
        _ = stateMachine.close(close)
        closeConnection(Violation(error: nil, close: close), failure: failure)
    }

    /// Sends the Error (if any) and the Close, then the WebSocket close frame; drops
    /// TCP if the server's close frame does not come within the grace period.
    func closeConnection(_ violation: Violation, failure: CourierClientError? = nil) {
        guard ending == nil, let context else { return }
        var end = ConnectionEnd(closeCode: violation.close.code, reason: violation.close.reason, closedLocally: true)
        end.failure = failure
        ending = end
        let metadata: Logger.Metadata = ["code": "\(violation.close.code)", "reason": "\(violation.close.reason)"]
        switch violation.close.code {
        case .normal: logger.debug("closing", metadata: metadata)
        case .heartbeatTimeout, .handshakeTimeout: logger.info("closing: the server went silent", metadata: metadata)
        default: logger.warning("closing: the server broke the protocol", metadata: metadata)
        }
        batcher.dropData()
        if let error = violation.error { batcher.append(CourierMessage(body: .error(error))) }
        batcher.append(CourierMessage(body: .close(violation.close)))
        flushNow()
        sendCloseFrame(code: violation.close.code, reason: violation.close.reason)
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Settings.closeGracePeriod) {
            self.context?.close(promise: nil)
        }
    }

    /// The server sent Close: stop sending data, answer with a close frame, close (§10).
    func peerClosed(_ close: Close) {
        guard ending == nil else { return }
        logger.info("the server closed the connection", metadata: ["code": "\(close.code)", "reason": "\(close.reason)"])
        var end = ConnectionEnd(closeCode: close.code, reason: close.reason)
        let hinted = close.code == .serviceRestart || close.code == .tryAgainLater
        if hinted, close.retryAfterMillis > 0 || close.retryJitterMillis > 0 {
            end.retryHint = ReconnectBackoff.RetryHint(
                after: .milliseconds(Int64(close.retryAfterMillis)), jitter: .milliseconds(Int64(close.retryJitterMillis))
            )
        }
        ending = end
        batcher.dropData()
        flushNow()
        sendCloseFrame(code: close.code, reason: close.reason, thenClose: true)
    }

    /// The server's WebSocket close frame: answer it if we have not closed yet, then
    /// drop the connection.
    func receivedCloseFrame(_ payload: ByteBuffer) {
        var payload = payload
        let code = payload.readInteger(as: UInt16.self).map(CloseCode.init(rawValue:))
        let reason = payload.readString(length: payload.readableBytes) ?? ""
        if ending == nil {
            ending = ConnectionEnd(closeCode: code, reason: reason)
            _ = stateMachine.close(Close(code: code ?? .normal, reason: reason))
        }
        if closeFrameSent {
            context?.close(promise: nil)
        } else {
            sendCloseFrame(code: code ?? .normal, reason: "", thenClose: true)
        }
    }

    /// Writes the WebSocket close frame (masked, as every client frame).
    func sendCloseFrame(code: CloseCode, reason: String, thenClose: Bool = false) {
        guard !closeFrameSent, let context else { return }
        closeFrameSent = true
        let text = Violation.truncate(reason, FieldLimits.closeReason)
        var data = context.channel.allocator.buffer(capacity: 2 + text.utf8.count)
        data.writeInteger(code.rawValue)
        data.writeString(text)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        guard thenClose else {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
    }

    // MARK: Timer

    /// Keeps one scheduled task at the state machine's next wakeup.
    func scheduleWakeup() {
        guard let context else { return }
        guard let next = stateMachine.nextWakeup else {
            wakeup?.task.cancel()
            wakeup = nil
            return
        }
        let deadline = next.deadline
        if let wakeup, wakeup.deadline == deadline { return }
        wakeup?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.wakeupFired() }
        wakeup = (deadline, task)
    }

    private func wakeupFired() {
        wakeup = nil
        guard let context else { return }
        switch stateMachine.tick(now: SessionInstant(context.eventLoop.now)) {
        case .none:
            break
        case .send(let message):
            batcher.append(message)
            flushNow()
        case .close(let violation):
            let failure: CourierClientError? = established
                ? nil : .timeout("no handshake answer from the server within \(settings.handshakeTimeout)")
            closeConnection(violation, failure: failure)
        }
        scheduleWakeup()
    }

    func cancelTimers() {
        wakeup?.task.cancel()
        wakeup = nil
        closeTimer?.cancel()
        closeTimer = nil
    }
}
