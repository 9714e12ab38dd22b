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
        control.append(message)
        // Inside a read batch, channelReadComplete flushes; otherwise flush at the end of this tick.
        if !inRead { scheduleFlush() }
    }

    func scheduleFlush() {
        guard !flushScheduled, let context = channelContext else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.flushScheduled = false
            bound.value.flush()
            bound.value.updateTimer()
        }
    }

    /// Most payload bytes of data written per flush; the rest goes in the next tick,
    /// so one busy connection does not hold its event loop.
    static let dataBytesPerFlush = 512 * 1_024

    /// Writes the control messages, then as much queued data as may go, in WebSocket
    /// messages of about `maxOutboundBatchBytes`, and flushes once.
    func flush() {
        guard let context = channelContext else { return }
        var count = control.count
        for message in control { append(message, context) }
        control.removeAll(keepingCapacity: true)
        count += drainData(context)
        guard count > 0 else { return }
        finishFrame(context)
        server.metrics.messagesOut.increment(by: count)
        context.flush()
    }

    /// Moves data from the queues to the wire while the session is active, the client
    /// has credit and the socket takes it. Returns how many messages it wrote.
    func drainData(_ context: ChannelHandlerContext) -> Int {
        guard !queues.isEmpty, machine.isActive, !detached else { return 0 }
        var written = 0
        var bytes = 0
        while bytes < Self.dataBytesPerFlush, context.channel.isWritable {
            guard let item = queues.next(allows: { [sendCredit] in sendCredit.allows(bytes: $0) }) else { break }
            switch item {
            case .gap(let channel, let dropped):
                append(CourierMessage(body: .error(ErrorMessage(
                    code: .messagesDropped, reference: .channel(channel),
                    message: "\(dropped) messages dropped: this connection could not keep up"
                ))), context)
                written += 1
            case .data(let delivery):
                let publication = delivery.publication
                switch machine.send(publication.message(routed: delivery.route), reliable: publication.reliable, bytes: publication.bytes) {
                case .send(let numbered)?:
                    sendCredit.spend(bytes: publication.bytes)
                    append(numbered, context)
                    written += 1
                    bytes += publication.bytes
                case .bufferFull?:
                    replayBufferFull(pending: delivery)
                    return written
                case nil:
                    return written
                }
            }
        }
        // More may go now: continue next tick (credit and writability changes flush by themselves).
        if !queues.isEmpty, context.channel.isWritable, bytes >= Self.dataBytesPerFlush { scheduleFlush() }
        return written
    }

    /// Adds a message to the WebSocket message being built. It is held until the next
    /// one (or the end of the write), so only the last of a frame goes without a length.
    func append(_ message: CourierMessage, _ context: ChannelHandlerContext) {
        if let previous = held { encode(previous, withLength: true, context) }
        held = message
    }

    /// Writes out the WebSocket message being built (its last message without a length).
    func finishFrame(_ context: ChannelHandlerContext) {
        if let last = held {
            held = nil
            encode(last, withLength: false, context)
        }
        if let buffer = frame, buffer.readableBytes > 0 { writeFrame(buffer, context: context) }
        frame = nil
    }

    private func encode(_ message: CourierMessage, withLength: Bool, _ context: ChannelHandlerContext) {
        var message = message
        compressor.compress(&message.header, version: version)
        if frame == nil { frame = Self.frameBuffer(context) }
        do {
            try encoder.encode(message, into: &frame!, includeLength: withLength)
        } catch {
            logger.error("could not encode an outgoing message", metadata: ["type": "\(message.type)", "error": "\(error)"])
            return
        }
        if withLength, frame!.readableBytes >= server.configuration.maxOutboundBatchBytes {
            writeFrame(frame!, context: context)
            frame = nil
        }
    }

    /// A buffer for one outgoing WebSocket message, with room in front for the frame
    /// header (NIO's encoder then writes it there instead of in a buffer of its own).
    static func frameBuffer(_ context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.moveWriterIndex(forwardBy: 14)
        buffer.moveReaderIndex(forwardBy: 14)
        return buffer
    }

    func writeFrame(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        server.metrics.bytesOut.increment(by: buffer.readableBytes)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
    }
}
