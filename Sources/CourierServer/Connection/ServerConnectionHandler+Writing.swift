import CoreMetrics
import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOWebSocket

/// Writing (`docs/PROTOCOL.md` §16.2): everything produced during one event-loop tick
/// goes out as few WebSocket messages as possible with one flush — control messages
/// first, then data from the channel queues as far as credit and the socket allow.
extension ServerConnectionHandler {
    /// Queues a control message for this tick's write.
    func enqueue(_ message: CourierMessage) {
        enqueue(.message(message))
    }

    /// Queues a control item for this tick's write (an Acknowledge goes as its sequence).
    func enqueue(_ item: Outgoing) {
        control.append(item)
        // Inside a read batch, channelReadComplete flushes; otherwise flush at the end of this tick.
        if !inRead { scheduleFlush() }
    }

    /// Writes at the end of this event-loop tick (once, however often it is asked).
    func scheduleFlush() {
        guard !flushScheduled, let flusher = tickFlusher else { return }
        flushScheduled = true
        flusher.register(self)
    }

    /// The tick's end (`TickFlusher`): write what accumulated.
    func tickEnded() {
        flushScheduled = false
        flush()
        updateTimer()
    }

    /// Largest write buffer kept for reuse: replies and acknowledgements fit; bigger ones
    /// are for bursts and would cost idle connections memory.
    static let spareBufferLimit = 512

    /// The event loop's spare write buffer, if any (handed over, not shared).
    func takeSpareBuffer() -> ByteBuffer? {
        tickFlusher?.takeSpareBuffer()
    }

    /// Most payload bytes of data written per flush; the rest goes in the next tick,
    /// so one busy connection does not hold its event loop.
    static let dataBytesPerFlush = 512 * 1_024

    /// Writes the control messages, then as much queued data as may go, in WebSocket
    /// messages of about `maxOutboundBatchBytes`, and flushes once.
    func flush() {
        guard let context = channelContext else { return }
        for item in control { appendOutgoing(item, context) }
        control.removeAll(keepingCapacity: true)
        drainData(context)
        reportQueueDepth()
        guard held != nil || unflushed > 0 else { return }
        finishFrame(context)
        unflushed = 0
        context.flush()
    }

    /// Moves `courier_queued_bytes` by what this connection's queues gained or lost.
    func reportQueueDepth() {
        let queued = queues.totalBytes
        guard queued != reportedQueueBytes else { return }
        server.metrics.queuedBytes.increment(by: Double(queued - reportedQueueBytes))
        reportedQueueBytes = queued
    }

    /// Moves data from the queues to the wire while the session is active, the client
    /// has credit and the socket takes it.
    func drainData(_ context: ChannelHandlerContext) {
        guard !queues.isEmpty, machine.isActive, !detached else { return }
        var bytes = 0
        while bytes < Self.dataBytesPerFlush, context.channel.isWritable {
            guard let item = queues.next(allows: { [sendCredit] in sendCredit.allows(bytes: $0) }) else { break }
            switch item {
            case .gap(let channel, let dropped):
                logger.info("slow consumer: messages dropped", metadata: ["channel": "\(channel)", "dropped": "\(dropped)"])
                append(CourierMessage(body: .error(ErrorMessage(
                    code: .messagesDropped, reference: .channel(channel),
                    message: "\(dropped) messages dropped: this connection could not keep up"
                ))), context)
            case .data(let delivery):
                guard send(delivery, context) else { return }
                bytes += delivery.publication.bytes
            }
        }
        // More may go now: continue next tick (credit and writability changes flush by themselves).
        if !queues.isEmpty, context.channel.isWritable, bytes >= Self.dataBytesPerFlush { scheduleFlush() }
    }

    /// Numbers (if reliable), spends credit for and appends one delivery. False when the
    /// session cannot take it (closed, or its replay buffer is full and it is closing).
    ///
    /// The payload is the publication's own, its publisher's compressed one or a delta,
    /// whichever this client can take (§20): never more bytes than `publication.bytes`,
    /// which the caller's credit check used, and credit is spent on what is written.
    func send(_ delivery: QueuedDelivery, _ context: ChannelHandlerContext) -> Bool {
        let publication = delivery.publication
        let form = compression == nil || (publication.compressed == nil && publication.deltaKey == nil) ? .plain : compression!.form(for: publication)
        let bytes = form.payloadBytes ?? publication.bytes
        if sendCredit.isUnlimited { sentBeforeGrant.add(bytes: bytes) }
        if !publication.reliable, let type = publication.dataType {
            // Unreliable text or binary: encoded straight from the shared parts.
            sendCredit.spend(bytes: bytes)
            var header = publication.message.header
            var payload = publication.payload
            if case .compressed(let compressed) = form {
                header.flags.insert(.compressed)
                payload = compressed
                server.metrics.sentCompressed.increment()
            }
            appendOutgoing(.data(type, header, delivery.route, payload), context)
            return true
        }
        var message = publication.message(routed: delivery.route)
        switch form {
        case .plain:
            break
        case .compressed(let payload):
            message = message.replacingPayload(payload)
            message.header.flags.insert(.compressed)
            server.metrics.sentCompressed.increment()
        case .delta(let payload):
            message = message.replacingPayload(payload)
            message.header.flags.insert(.delta)
            server.metrics.sentDelta.increment()
        }
        switch machine.send(message, reliable: publication.reliable, bytes: bytes) {
        case .send(let numbered)?:
            sendCredit.spend(bytes: bytes)
            append(numbered, context)
            return true
        case .bufferFull?:
            replayBufferFull(pending: delivery)
            return false
        case nil:
            return false
        }
    }

    /// Adds a message to the WebSocket message being built.
    func append(_ message: CourierMessage, _ context: ChannelHandlerContext) {
        appendOutgoing(.message(message), context)
    }

    /// Adds to the WebSocket message being built. Each item is held until the next one
    /// (or the end of the write), so only the last of a frame goes without a length.
    func appendOutgoing(_ item: Outgoing, _ context: ChannelHandlerContext) {
        if let previous = held { encode(previous, withLength: true, context) }
        held = item
        unflushed += 1
    }

    /// Writes out the WebSocket message being built (its last message without a length).
    func finishFrame(_ context: ChannelHandlerContext) {
        if let last = held {
            held = nil
            encode(last, withLength: false, context)
        }
        // Taken out (moved, not copied): the frame's buffer then has one owner, so writing
        // the header into its headroom copies nothing. With a second reference alive,
        // that write would copy the whole frame, and the spare kept would be the copy.
        if let built = frame.take(), built.length > 0 { writeFrame(built, context: context) }
    }

    private func encode(_ item: Outgoing, withLength: Bool, _ context: ChannelHandlerContext) {
        if frame == nil { frame = OutboundFrame(allocator: context.channel.allocator, reusing: takeSpareBuffer()) }
        let before = frame!.length
        do {
            switch item {
            case .message(var message):
                compressor.compress(&message.header, version: version)
                switch message.body {
                case .textData(let data), .binaryData(let data):
                    try encodeData(message.type, message.header, data.route, data.payload, withLength)
                default:
                    try encoder.encode(message, into: &frame!.inline, includeLength: withLength)
                }
            case .acknowledge(let sequence):
                encoder.encodeAcknowledge(sequence, into: &frame!.inline, includeLength: withLength)
            case .data(let type, var header, let route, let payload):
                compressor.compress(&header, version: version)
                try encodeData(type, header, route, payload, withLength)
            }
        } catch {
            logger.error("could not encode an outgoing message", metadata: ["error": "\(error)"])
            return
        }
        loopMetrics?.sent(item.type, bytes: frame!.length - before)
        if withLength, frame!.length >= server.configuration.maxOutboundBatchBytes, let built = frame.take() {
            writeFrame(built, context: context)
        }
    }

    /// A text or binary message: a large payload is shared (written by reference, §16),
    /// a small one copied into the frame (cheaper than one more buffer to write).
    private func encodeData(_ type: MessageType, _ header: MessageHeader, _ route: Route, _ payload: ByteBuffer, _ withLength: Bool) throws(WireError) {
        if version == .v2, payload.readableBytes >= server.configuration.sharedPayloadBytes {
            try encoder.encodeDataHeader(type: type, header: header, route: route, payloadLength: payload.readableBytes, into: &frame!.inline, includeLength: withLength)
            frame!.share(payload)
        } else {
            try encoder.encodeData(type: type, header: header, route: route, payload: payload, into: &frame!.inline, includeLength: withLength)
        }
    }

    /// - Parameter built: consumed, so that it is its buffer's only owner (see `finishFrame`).
    func writeFrame(_ built: consuming OutboundFrame, context: ChannelHandlerContext) {
        framesWritten &+= 1
        loopMetrics?.wrote(bytes: built.length)
        // Framed here, so the pieces go out as they are.
        built.pieces { piece in context.write(wrapOutboundOut(.byteBuffer(piece)), promise: nil) }
        // Kept for the loop's next frame: once the socket has written it, its storage is
        // free again. One per event loop, so idle connections hold none.
        if built.inline.capacity <= Self.spareBufferLimit { tickFlusher?.keepSpareBuffer(built.inline) }
    }
}
