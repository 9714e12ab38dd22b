import CourierSession
import CourierWire
import Logging
import NIOCore

// Sending, acknowledgements, subscriptions and closing (§12).
extension ClientCore {
    /// Queues `message`; the future completes once it is numbered and queued for
    /// writing (or, with `awaitAcknowledgement`, once the server acknowledged it).
    /// While the replay buffer is full or no connection is Active, it waits.
    func send(_ message: CourierMessage, reliable: Bool, bodyBytes: Int, payloadBytes: Int, awaitAcknowledgement: Bool) -> EventLoopFuture<Void> {
        if let error = refusal { return loop.makeFailedFuture(error) }
        let limit = min(configuration.maxMessageBytes, serverMaxMessageBytes ?? .max)
        guard bodyBytes <= limit else {
            return loop.makeFailedFuture(CourierClientError.messageTooLarge(size: bodyBytes, limit: limit))
        }
        let promise = loop.makePromise(of: Void.self)
        pendingSends.append(PendingSend(
            message: message, reliable: reliable, bytes: payloadBytes, promise: promise, awaitAcknowledgement: awaitAcknowledgement
        ))
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

    /// Moves waiting sends onto the Active connection, in order, while the replay
    /// buffer has room.
    func drainPendingSends() {
        guard case .active(let attempt) = phase, let handler = attempt.handler else { return }
        while let next = pendingSends.first {
            switch handler.send(next.message, reliable: next.reliable, bytes: next.bytes) {
            case .queued(let sequence):
                pendingSends.removeFirst()
                if case .subscribe(let subscribe) = next.message.body {
                    subscribeWaiters[subscribe.requestID]?.sent = true
                }
                if next.awaitAcknowledgement, let sequence {
                    ackWaiters.append(AckWaiter(sequence: sequence, promise: next.promise))
                } else {
                    next.promise.succeed(())
                }
            case .bufferFull, .unavailable:
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

    private func nextRequestID() -> UInt32 {
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
        let promise = loop.makePromise(of: Void.self)
        closePromises.append(promise)
        return promise.futureResult
    }
}
