import CourierSession
import CourierWire
import Logging
import NIOCore

// Sending, acknowledgements, subscriptions and closing (§12).
extension ClientCore {
    /// Queues `message`; the future completes once it is numbered and queued for
    /// writing (or, with `awaitAcknowledgement`, once the server acknowledged it).
    /// While no connection is Active, or (data) while the replay buffer is full or the
    /// send credit does not cover it (§16.3), it waits.
    func send(_ message: CourierMessage, reliable: Bool, bodyBytes: Int, payloadBytes: Int, awaitAcknowledgement: Bool) -> EventLoopFuture<Void> {
        if let error = refusal { return loop.makeFailedFuture(error) }
        let limit = min(configuration.maxMessageBytes, serverMaxMessageBytes ?? .max)
        guard bodyBytes <= limit else {
            return loop.makeFailedFuture(CourierClientError.messageTooLarge(size: bodyBytes, limit: limit))
        }
        let promise = loop.makePromise(of: Void.self)
        let pending = PendingSend(
            message: message, reliable: reliable, bytes: payloadBytes, promise: promise, awaitAcknowledgement: awaitAcknowledgement
        )
        if OutboundBatcher.isData(message.type) { pendingSends.append(pending) } else { pendingRequests.append(pending) }
        drainPendingSends()
        return promise.futureResult
    }

    /// Why nothing can be sent now, if so.
    private var refusal: CourierClientError? {
        switch phase {
        case .idle: return .notConnected
        case .closing, .closed: return .closed
        case .connecting, .active, .waiting: return nil
        }
    }

    /// Moves waiting sends onto the Active connection, in order: requests first (they
    /// need no credit), then data while the replay buffer has room and the credit
    /// covers it.
    func drainPendingSends() {
        guard case .active(let attempt) = phase, let handler = attempt.handler else { return }
        drain(requests: true, into: handler)
        drain(requests: false, into: handler)
    }

    /// Drains `pendingRequests` or `pendingSends` (not through `inout`: completing a
    /// promise may run code that queues another send).
    private func drain(requests: Bool, into handler: CourierConnectionHandler) {
        while true {
            if !requests { compressFirstPending() }
            guard let next = requests ? pendingRequests.first : pendingSends.first else { return }
            switch handler.send(next.message, reliable: next.reliable, bytes: next.bytes) {
            case .queued(let sequence):
                if requests { pendingRequests.removeFirst() } else { pendingSends.removeFirst() }
                if case .subscribe(let subscribe) = next.message.body {
                    subscribeWaiters[subscribe.requestID]?.sent = true
                }
                if next.awaitAcknowledgement, let sequence {
                    ackWaiters.append(AckWaiter(sequence: sequence, promise: next.promise))
                } else {
                    next.promise.succeed(())
                }
            case .bufferFull, .noCredit, .unavailable:
                return
            }
        }
    }

    /// Completes every `sendAcknowledged` whose message is covered by `sequence`.
    func resolveAckWaiters(through sequence: UInt32) {
        let acknowledged = SerialNumber(sequence)
        while let first = ackWaiters.first, !SerialNumber(first.sequence).isAfter(acknowledged) {
            ackWaiters.removeFirst()
            first.promise.succeed(())
        }
    }

    func subscribe(_ pattern: String, from position: HistoryPosition? = nil) -> EventLoopFuture<Subscription> {
        if let error = refusal { return loop.makeFailedFuture(error) }
        guard !pattern.isEmpty, pattern.utf8.count <= FieldLimits.pattern else {
            return loop.makeFailedFuture(CourierClientError.invalidDestination("pattern must be 1 to \(FieldLimits.pattern) bytes"))
        }
        let requestID = nextRequestID()
        let promise = loop.makePromise(of: Subscription.self)
        subscribeWaiters[requestID] = SubscribeWaiter(pattern: pattern, promise: promise)
        let recover = position.map { Subscribe.Recover(epoch: $0.epoch, offset: $0.offset) }
        let message = CourierMessage(body: .subscribe(Subscribe(requestID: requestID, pattern: pattern, recover: recover)))
        let queued = send(message, reliable: false, bodyBytes: 0, payloadBytes: 0, awaitAcknowledgement: false)
        queued.assumeIsolated().whenFailure { error in
            self.subscribeWaiters.removeValue(forKey: requestID)?.promise.fail(error)
        }
        return promise.futureResult
    }

    func unsubscribe(channel: UInt32) -> EventLoopFuture<Void> {
        guard channel != 0 else { return loop.makeFailedFuture(CourierClientError.invalidDestination("channel alias 0 is reserved")) }
        let message = CourierMessage(body: .unsubscribe(Unsubscribe(requestID: nextRequestID(), channel: channel)))
        return send(message, reliable: false, bodyBytes: 0, payloadBytes: 0, awaitAcknowledgement: false)
    }

    func nextRequestID() -> UInt32 {
        lastRequestID = lastRequestID == .max ? 1 : lastRequestID + 1
        return lastRequestID
    }

    /// Sends Close 1000 (after acknowledging what arrived) and ends the session.
    func close() -> EventLoopFuture<Void> {
        switch phase {
        case .closed:
            return loop.makeSucceededVoidFuture()
        case .idle, .waiting:
            finish(failing: .closed)
            return loop.makeSucceededVoidFuture()
        case .closing:
            break
        case .connecting(let attempt), .active(let attempt):
            phase = .closing(attempt)
            if let handler = attempt.handler {
                handler.closeByApplication(Close(code: .normal, reason: "client closed"))
            } else {
                attempt.channel?.close(promise: nil)
            }
        }
        // Closing a channel that is still upgrading ends the attempt at once (its
        // channelInactive runs inside `close`), and with it the client.
        if case .closed = phase { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        closePromises.append(promise)
        return promise.futureResult
    }
}
