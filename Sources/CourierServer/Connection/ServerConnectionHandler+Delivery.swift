import CoreMetrics
import CourierSession
import CourierWire
import Logging
import NIOCore

/// Deliveries from the router into this connection's data queues (`docs/PROTOCOL.md`
/// §16.2), and the credit both sides grant (§16.3).
extension ServerConnectionHandler {
    /// Messages for this session from the router (the router calls `endOfDeliveries`
    /// after its batch).
    func deliverFromRouter(_ run: DeliveryRun) {
        let publications = run.publications
        var index = publications.startIndex
        // The common case, checked once per run: nothing waits, the session is live
        // and the socket takes more, so the run goes straight into this tick's write
        // for as long as the credit lasts (writability is checked again after each
        // WebSocket message written).
        if sessionID != nil, !detached, nextOffsets.isEmpty, queues.isEmpty, machine.isActive,
           let context = channelContext, context.channel.isWritable {
            for item in control { appendOutgoing(item, context) }
            control.removeAll(keepingCapacity: true)
            reserveFrame(for: publications, context)
            var frames = framesWritten
            while index < publications.endIndex, sendCredit.allows(bytes: publications[index].bytes) {
                if framesWritten != frames {
                    guard context.channel.isWritable else { break }
                    frames = framesWritten
                }
                let sent = send(QueuedDelivery(publication: publications[index], route: run.route, channel: run.channel), context)
                index += 1
                if !sent { break }  // closing: the rest goes the slow way (into the detaching session)
            }
        }
        while index < publications.endIndex {
            deliverFromRouter(QueuedDelivery(publication: publications[index], route: run.route, channel: run.channel), batched: true)
            index += 1
        }
    }

    /// Makes room in the WebSocket message being built for a run (what is copied into it:
    /// small payloads and about 8 bytes of header and route each), so it is allocated
    /// once rather than regrown message by message.
    func reserveFrame(for publications: [OutboundPublication], _ context: ChannelHandlerContext) {
        let threshold = server.configuration.sharedPayloadBytes
        var estimate = 0
        for publication in publications { estimate += 8 + (publication.bytes < threshold ? publication.bytes : 0) }
        estimate = min(estimate, server.configuration.maxOutboundBatchBytes + 1_024)
        if frame == nil {
            frame = OutboundFrame(allocator: context.channel.allocator, capacity: estimate)
        } else {
            frame!.inline.reserveCapacity(minimumWritableBytes: estimate)
        }
    }

    /// After a batch of deliveries from the router: write what they produced.
    func endOfDeliveries() {
        guard held != nil || unflushed > 0 || !control.isEmpty else { return }
        flush()
    }

    /// A message for this session; `batched`: the caller calls `endOfDeliveries`,
    /// otherwise it is written at the end of the tick.
    func deliverFromRouter(_ delivery: QueuedDelivery, batched: Bool = false) {
        guard let id = sessionID else { return }
        guard !detached else {
            if detaching != nil {
                // Queued here before the registry stopped sending: number it into the session.
                if !number(delivery) { detachOverflowed = true }
            } else {
                server.registry.deliver(to: id, delivery)
            }
            return
        }
        if !admitOffset(delivery) { return }
        defer { if !batched && !inRead { scheduleFlush() } }
        // Nothing waiting, credit and a socket that takes it: straight into this tick's write.
        if queues.isEmpty, sendCredit.allows(bytes: delivery.publication.bytes), machine.isActive,
           let context = channelContext, context.channel.isWritable {
            // Control messages enqueued earlier in this tick keep their place ahead of it.
            for item in control { appendOutgoing(item, context) }
            control.removeAll(keepingCapacity: true)
            _ = send(delivery, context)
            return
        }
        // Queues are for what cannot go yet: a backlog that could go is written first,
        // so a burst within one tick does not count against the client.
        if queues.totalBytes + delivery.publication.bytes > backlogBytes, let context = channelContext, context.channel.isWritable {
            flush()
        }
        switch queues.enqueue(delivery) {
        case .queued:
            break
        case .queuedDropping(let count):
            server.metrics.dropped(policy: delivery.publication.policy, count: count)
        case .dropped:
            server.metrics.dropped(policy: delivery.publication.policy, count: 1)
        case .disconnect:
            server.metrics.dropped(policy: .disconnect, count: 1)
            logger.notice("closing slow consumer", metadata: ["channel": "\(delivery.channel)", "policy": "disconnect"])
            close(Close(code: .slowConsumer, reason: "channel \(delivery.channel) queue full (policy disconnect)"))
        }
    }

    /// Queued bytes above which a delivery writes out what may go before queueing.
    var backlogBytes: Int {
        min(queues.limits.bytesPerChannel / 2, server.configuration.maxOutboundBatchBytes)
    }

    /// Offsets (§16.1): after a recovery, drops the live deliveries the history already
    /// gave. Once one newer arrives, the channel needs no more checking.
    func admitOffset(_ delivery: QueuedDelivery) -> Bool {
        guard !nextOffsets.isEmpty, delivery.publication.offset != 0, let next = nextOffsets[delivery.channel] else { return true }
        if delivery.publication.offset < next { return false }
        nextOffsets[delivery.channel] = nil
        return true
    }

    /// Numbers a delivery into the detaching session's replay buffer; false when full.
    func number(_ delivery: QueuedDelivery) -> Bool {
        guard delivery.publication.reliable else { return true }
        var numbered = delivery.publication.message(routed: delivery.route)
        if case .bufferFull = detaching!.outbound.assign(&numbered, bytes: delivery.publication.bytes) { return false }
        return true
    }

    /// The session's replay buffer cannot take `pending`: the client does not
    /// acknowledge. Close with 4007; a resume then fails with `buffer_overflowed`.
    func replayBufferFull(pending: QueuedDelivery) {
        logger.notice("replay buffer full: closing slow consumer", metadata: ["session": "\(sessionID ?? 0)"])
        server.metrics.rejected("replay_buffer_full")
        _ = machine.close(Close(code: .slowConsumer, reason: "replay buffer full"))
        enqueue(CourierMessage(body: .close(Close(code: .slowConsumer, reason: "replay buffer full: acknowledge faster"))))
        detachSession(reason: "slow consumer", overflowed: true)
        sendCloseFrame(code: .slowConsumer, reason: "replay buffer full")
    }

    /// Credit the client spent on an incoming data message (§16.3). False (after
    /// closing with 4008) when it had none.
    /// `payloadBytes` is nil for a message that is not data.
    func spendClientCredit(payloadBytes: Int?) -> Bool {
        guard let payloadBytes else { return true }
        switch receiveWindow.received(bytes: payloadBytes) {
        case .accepted:
            // The router handles it at once: the credit can go back.
            receiveWindow.consumed(messages: 1, bytes: payloadBytes)
            return true
        case .exceeded:
            server.metrics.rejected("credit_exceeded")
            perform(violation: Violation(
                error: ErrorMessage(code: .creditExceeded, message: "data message beyond the credit granted (window \(receiveWindow.window.messages) messages, \(receiveWindow.window.bytes) bytes)"),
                close: Close(code: .creditExceeded, reason: "credit exceeded")
            ))
            return false
        }
    }

    /// Once per read batch: returns the credit the client spent, if worth a message.
    func returnCredit() {
        guard machine.isActive, let update = receiveWindow.takeUpdate() else { return }
        enqueue(CourierMessage(body: .windowUpdate(update)))
    }

    /// A WindowUpdate from the client: more credit for our data (the first one turns
    /// flow control on for this connection).
    func granted(_ update: WindowUpdate) {
        if sendCredit.isUnlimited {
            // Data already sent on this connection counts against the first grant, so
            // both sides agree on the credit from the start (§16.3).
            guard update.channel == 0 else { return }
            sendCredit = SendCredit(
                messages: Int64(update.messages) - sentBeforeGrant.messages,
                bytes: Int64(update.bytes) - sentBeforeGrant.bytes
            )
        } else {
            sendCredit.grant(update)
        }
        flush()
    }

    /// Feeds a new heartbeat round trip into the window size.
    func sampleRoundTrip() {
        guard let rtt = machine.lastRoundTrip, rtt != lastRoundTrip else { return }
        lastRoundTrip = rtt
        server.metrics.heartbeatRoundTrip.recordNanoseconds(rtt.nanoseconds)
        receiveWindow.roundTrip(rtt)
    }
}
