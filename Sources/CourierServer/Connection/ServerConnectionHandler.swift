import CoreMetrics
import CourierAuth
import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOWebSocket

/// Runs one Courier connection on its event loop: parses the client's WebSocket frames
/// from the socket's bytes (`InboundFrameParser`), decodes their messages, feeds
/// `ServerConnectionStateMachine`, performs what it returns, and writes everything
/// produced during one event-loop tick as one WebSocket message with one flush.
///
/// The hot path (decode → state machine → route → encode → write) never leaves the
/// event loop; only authentication (jwt-kit is async) does, once per connection.
final class ServerConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// The socket's bytes in and out: NIO's WebSocket frame codec is not in the
    /// pipeline. Client frames are parsed by `InboundFrameParser`; every server frame
    /// (data, pong, close) is framed by `OutboundFrame` and written straight to the
    /// socket (or to TLS on wss://).
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    let server: ServerContext
    let version: ProtocolVersion
    let connectionID: UInt64
    var logger: Logger
    var machine: ServerConnectionStateMachine
    let decoder: MessageDecoder
    let encoder: MessageEncoder
    var compressor = SequenceCompressor()
    /// Control messages for the next write: they never wait behind data (§16.2).
    var control: [Outgoing] = []
    /// Data for the client, per channel, under the topics' policies (§16.2).
    var queues: DataQueues
    /// What the client let us send (§16.3): unlimited until its first WindowUpdate.
    var sendCredit = SendCredit.unlimited
    /// The credit we grant the client.
    var receiveWindow: ReceiveWindow
    /// Data sent before the client's first grant (it counts against that grant).
    var sentBeforeGrant = DataCount()
    var lastRoundTrip: Duration?
    /// The WebSocket message being built, and the message held back until we know
    /// whether another follows it (the last one of a frame carries no length).
    var frame: OutboundFrame?
    var held: Outgoing?
    /// Messages appended since the last flush.
    var unflushed = 0
    /// WebSocket messages written so far (writability can only change when this does).
    var framesWritten = 0
    var flushScheduled = false
    /// Between channelRead and channelReadComplete.
    var inRead = false
    /// The clock when the current read batch was decoded (one clock read for its
    /// rate limits and publishes); nil outside a read batch.
    var batchNow: SessionInstant?
    /// The client's WebSocket frames.
    var frames: InboundFrameParser
    /// False once a close frame arrived or a frame broke the RFC: later bytes are ignored.
    var readingFrames = true
    /// Fragmented WebSocket messages are joined here (no aggregator in the pipeline).
    /// Not `lazy`: a lazy property's getter copies the struct on every frame.
    var fragments: FragmentAssembler
    var channelContext: ChannelHandlerContext?
    var tickFlusher: TickFlusher?
    var nonce: [UInt8] = []
    /// The loop's timer wheel, and this connection's timer in it (armed at the state
    /// machine's next wakeup).
    var timers: ConnectionTimers?
    var timer: ConnectionTimers.Timer?
    var timerDeadline: SessionInstant?

    // Session, once authenticated.
    var sessionID: UInt64?
    var principal: Principal? {
        didSet { permissions = Permissions(principal) }
    }
    /// The principal's patterns, parsed once.
    var permissions = Permissions(nil)
    /// Topics this connection may publish to, already checked.
    var publishAllowed: Set<String> = []
    /// The topic of the last publish, allowed (a member of `publishAllowed`).
    var lastAllowedTopic: String?
    var inboundAliases: [UInt32: String] = [:]
    /// Channels that recovered history: the next offset a live delivery must have.
    var nextOffsets: [UInt32: UInt64] = [:]
    /// True once the session started going back to the registry (closing or closed).
    var detached = false
    /// The session's reliable state between the two steps of `detachSession`.
    var detaching: ReliableSession?
    var detachOverflowed = false

    /// The client's IP address, for per-address limits.
    let address: String?
    var rateLimiter: RateLimiter
    /// Messages dropped by the rate limit in the current read batch.
    var drops = Drops()
    /// What the client agreed to in the handshake (§20); nil: no compression, no deltas.
    var compression: ConnectionCompression?
    /// Publishes of the current read batch, handed to the broker together.
    var pendingPublishes: [BrokerPublication] = []
    /// This event loop's per-message counters (bytes, messages by type).
    var loopMetrics: LoopMetrics?
    /// This connection's share of `courier_queued_bytes`.
    var reportedQueueBytes = 0

    init(server: ServerContext, version: ProtocolVersion, connectionID: UInt64, address: String? = nil) {
        self.server = server
        self.version = version
        self.connectionID = connectionID
        self.address = address
        self.rateLimiter = RateLimiter(limits: server.configuration.rateLimits, now: server.configuration.clock.now())
        var logger = server.logger
        logger[metadataKey: "connection"] = "\(connectionID)"
        self.logger = logger
        let configuration = server.configuration
        self.machine = ServerConnectionStateMachine(
            configuration: .init(version: version, handshakeTimeout: configuration.handshakeTimeout, heartbeatInterval: configuration.heartbeatInterval),
            now: configuration.clock.now()
        )
        self.decoder = MessageDecoder(version: version, limits: WireLimits(maxMessageBytes: configuration.maxMessageBytes, maxMessagesPerFrame: configuration.maxMessagesPerFrame))
        self.encoder = MessageEncoder(version: version)
        self.queues = DataQueues(limits: .init(bytesPerChannel: configuration.queueBytesPerChannel, bytesPerConnection: configuration.queueBytesPerConnection))
        self.receiveWindow = ReceiveWindow(limits: configuration.receiveWindow)
        self.fragments = FragmentAssembler(maxBytes: configuration.maxFrameBytes)
        self.frames = InboundFrameParser(maxFrameBytes: configuration.maxFrameBytes)
    }

    var now: SessionInstant { server.configuration.clock.now() }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
        tickFlusher = server.flushers.value(for: context.eventLoop)
        loopMetrics = server.loopMetrics.value(for: context.eventLoop)
        let timers = server.timers.value(for: context.eventLoop)
        self.timers = timers
        timer = timers.add(self)
        server.metrics.connectionsOpened.increment()
        server.metrics.connections.increment()
        var random = SystemRandomNumberGenerator()
        nonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        enqueue(machine.challenge(nonce: nonce, authMethods: server.authMethods))
        flush()
        updateTimer()
        logger.debug("connection upgraded", metadata: ["version": "\(version)"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        flushPublishes()
        removeTimer()
        detachSession(reason: "connection lost")
        server.metrics.connectionsClosed.increment()
        server.metrics.connections.decrement()
        if reportedQueueBytes != 0 {
            server.metrics.queuedBytes.decrement(by: Double(reportedQueueBytes))
            reportedQueueBytes = 0
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removeTimer()
        channelContext = nil
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard readingFrames else { return }
        inRead = true
        frames.append(unwrapInboundIn(data))
        do {
            while readingFrames, let frame = try frames.next() {
                received(frame, context: context)
            }
        } catch {
            refuseFrame(error)
        }
    }

    /// One WebSocket frame from the client.
    func received(_ frame: InboundFrameParser.Frame, context: ChannelHandlerContext) {
        switch frame.opcode {
        case .binary where frame.fin && !fragments.isAssembling:
            // The common case: a whole message in one frame.
            loopMetrics?.read(bytes: frame.payload.readableBytes)
            process(frame.payload)
        case .binary, .continuation:
            loopMetrics?.read(bytes: frame.payload.readableBytes)
            switch fragments.receive(frame.payload, opcode: frame.opcode, fin: frame.fin) {
            case .message(let data): process(data)
            case .pending: break
            case .badFragmentation(let reason): refuseFragments(tooBig: false, reason)
            case .tooBig(let reason): refuseFragments(tooBig: true, reason)
            }
        case .text:
            logger.notice("text frame refused", metadata: ["code": "1003"])
            server.metrics.rejected("text_frame")
            close(Close(code: .unsupportedData, reason: "text frames are not part of the Courier protocol; send binary frames"))
        case .ping:
            // Flushed at once: `flush()` only flushes when Courier messages were written.
            // The parser lets no control frame over 125 bytes through.
            let pong = OutboundFrame.control(opcode: .pong, payload: frame.payload, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(pong)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            readingFrames = false
            receivedCloseFrame(context: context, payload: frame.payload)
        default:
            break
        }
    }

    /// A frame that breaks RFC 6455 (1002) or is over `maxFrameBytes` (1009).
    func refuseFrame(_ failure: InboundFrameParser.Failure) {
        readingFrames = false
        let tooBig = failure.closeCode == CloseCode.messageTooBig.rawValue
        logger.notice("WebSocket frame refused", metadata: ["code": "\(failure.closeCode)", "reason": "\(failure.reason)"])
        server.metrics.rejected(tooBig ? "frame_too_big" : "websocket_protocol")
        close(Close(code: tooBig ? .messageTooBig : .protocolError, reason: Violation.truncate(failure.reason, FieldLimits.closeReason)))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Still "in the read" while the batch's replies are queued: the flush below
        // writes them (no extra task on the loop for each read batch).
        flushPublishes()
        reportDrops()
        if let sequence = machine.takeAcknowledgedSequence() { enqueue(.acknowledge(sequence)) }
        sampleRoundTrip()
        returnCredit()
        inRead = false
        batchNow = nil
        flush()
        updateTimer()
    }

    /// Backpressure (`docs/PROTOCOL.md` §16.2): while the client cannot drain what we
    /// write, stop reading from it (data waits in its queues); when it can again,
    /// read and send what waited.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        context.channel.setOption(.autoRead, value: writable).whenComplete { _ in }
        if writable {
            flush()
            context.read()
        } else {
            server.metrics.rejected("outbound_backpressure")
        }
        context.fireChannelWritabilityChanged()
    }

    /// A fragmented message that breaks RFC 6455 §5.4 (1002) or is too big (1009).
    func refuseFragments(tooBig: Bool, _ reason: String) {
        logger.notice("WebSocket message refused", metadata: ["reason": "\(reason)"])
        server.metrics.rejected(tooBig ? "message_too_big" : "fragmentation")
        close(Close(code: tooBig ? .messageTooBig : .protocolError, reason: tooBig ? reason : "bad fragmentation: \(reason)"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func process(_ frame: ByteBuffer) {
        var reader = FrameReader(frame: frame, decoder: decoder)
        let now = self.now
        batchNow = now
        do {
            while let decoded = try reader.next() {
                loopMetrics?.received(decoded.message.type, bytes: decoded.length)
                perform(machine.received(decoded.message, now: now))
                if detached { return }
            }
        } catch {
            logger.notice("malformed message", metadata: ["error": "\(error)"])
            server.metrics.rejected(error.code.rawValue)
            perform(violation: machine.decodeFailed(error))
        }
    }

    func perform(_ action: ServerConnectionStateMachine.ReceiveAction) {
        switch action {
        case .none, .acknowledged:
            break
        case .authenticate(let handshake):
            authenticate(handshake)
        case .deliver(let message):
            let payloadBytes = message.dataPayload?.readableBytes
            if spendClientCredit(payloadBytes: payloadBytes), admit(message, payloadBytes: payloadBytes) { route(message) }
        case .send(let message):
            enqueue(message)
        case .peerClosed(let close):
            logger.debug("client closed", metadata: ["code": "\(close.code)", "reason": "\(close.reason)"])
            server.metrics.closed(code: close.code, initiator: "client")
            if close.code == .normal, let id = sessionID {
                detached = true
                server.registry.end(sessionID: id)
            } else {
                detachSession(reason: "client closed with \(close.code)")
            }
            sendCloseFrame(code: close.code, reason: "")
        case .peerError(let error):
            logger.notice("client reported an error", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
        case .close(let violation):
            perform(violation: violation)
        }
    }

    func receivedCloseFrame(context: ChannelHandlerContext, payload: ByteBuffer) {
        var data = payload
        let code = data.readInteger(as: UInt16.self).map { CloseCode(rawValue: $0) } ?? .normal
        _ = machine.close(Close(code: code, reason: ""))
        if code != .normal { detachSession(reason: "WebSocket close \(code)") }
        sendCloseFrame(code: code, reason: "")
    }

    // MARK: Closing

    /// Closes because of the peer: the Error first (if any), then Close, then the WebSocket close frame.
    func perform(violation: Violation) {
        if let error = violation.error { enqueue(CourierMessage(body: .error(error))) }
        logger.notice("closing connection", metadata: ["code": "\(violation.close.code)", "reason": "\(violation.close.reason)"])
        server.metrics.closed(code: violation.close.code, initiator: "server")
        finishClosing(violation.close)
    }

    /// Closes on the server's own initiative.
    func close(_ close: Close) {
        guard let accepted = machine.close(close) else { return }
        server.metrics.closed(code: accepted.code, initiator: "server")
        finishClosing(accepted)
    }

    func finishClosing(_ close: Close) {
        readingFrames = false  // nothing the client sends after this is read
        flushPublishes()  // what was accepted (and acknowledged) still goes out
        enqueue(CourierMessage(body: .close(close)))
        detachSession(reason: "closing with \(close.code)")
        flush()
        sendCloseFrame(code: close.code, reason: close.reason)
    }

    func sendCloseFrame(code: CloseCode, reason: String) {
        guard let context = channelContext, context.channel.isActive else { return }
        flush()
        // A control frame carries at most 125 bytes: the code and 123 of reason.
        let text = Violation.truncate(reason, FieldLimits.closeReason)
        var data = context.channel.allocator.buffer(capacity: 2 + text.utf8.count)
        data.writeInteger(code.rawValue)
        data.writeString(text)
        let frame = OutboundFrame.control(opcode: .connectionClose, payload: data, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(frame))).whenComplete { _ in context.close(promise: nil) }
        disarmTimer()
    }

    /// Hands the session's reliable state back to the registry for a later resume.
    ///
    /// In two steps, so that no delivery overtakes another: the registry stops sending
    /// here at once (new deliveries wait in it), deliveries already queued on this event
    /// loop are numbered into the session here, and only then, in a task queued behind
    /// them, the session moves to the registry. Returns when that is done.
    @discardableResult
    func detachSession(reason: String, overflowed: Bool = false) -> EventLoopFuture<Void>? {
        guard !detached, let context = channelContext else { return nil }
        detached = true
        let reliable = machine.connectionClosed()
        guard let id = sessionID, let reliable else { return nil }
        server.registry.beginDetach(sessionID: id, connectionID: connectionID)
        detaching = reliable
        detachOverflowed = overflowed
        // Data still queued here goes to the session's replay buffer, in order (reliable only).
        for delivery in queues.removeAll() where !number(delivery) { detachOverflowed = true }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        logger.debug("session detaching", metadata: ["session": "\(id)", "reason": "\(reason)"])
        return context.eventLoop.submit { bound.value.finishDetach() }
    }

    func finishDetach() {
        guard let id = sessionID, let reliable = detaching else { return }
        detaching = nil
        server.registry.detach(sessionID: id, connectionID: connectionID, reliable: reliable, inboundAliases: inboundAliases, now: now, overflowed: detachOverflowed)
    }

    // MARK: Timers

    /// Keeps this connection's timer in the loop's wheel at the state machine's next
    /// wakeup: O(1), and nothing at all while the wakeup does not change (the usual
    /// case after a read: the next ping stays where it was).
    func updateTimer() {
        guard let timers, let timer, !detached else { return }
        let next = machine.nextWakeup
        guard next != timerDeadline else { return }
        timerDeadline = next
        if let next {
            timers.arm(timer, at: next)
        } else {
            timers.disarm(timer)
        }
    }

    func disarmTimer() {
        guard let timers, let timer else { return }
        timers.disarm(timer)
        timerDeadline = nil
    }

    /// The connection is gone: its timer leaves the wheel (which held it strongly).
    func removeTimer() {
        guard let timers, let timer else { return }
        timers.remove(timer)
        self.timer = nil
        timerDeadline = nil
    }

    /// The wheel fired this connection's timer (it is disarmed): `now` is at or past
    /// the deadline it was armed for.
    func timerFired(now: SessionInstant) {
        timerDeadline = nil
        switch machine.tick(now: now) {
        case .none: break
        case .send(let message): enqueue(message)
        case .close(let violation):
            if violation.close.code == .handshakeTimeout { server.handshakeFailed(from: address) }
            perform(violation: violation)
        }
        flush()
        updateTimer()
    }
}

extension ServerConnectionHandler: ConnectionTimerOwner {}

@available(*, unavailable)
extension ServerConnectionHandler: Sendable {}

/// What a principal may publish and subscribe to, as parsed patterns (a pattern
/// that does not parse grants nothing).
struct Permissions {
    var publish: [TopicPattern]
    var subscribe: [TopicPattern]

    init(_ principal: Principal?) {
        publish = principal?.publish.compactMap { try? TopicPattern($0) } ?? []
        subscribe = principal?.subscribe.compactMap { try? TopicPattern($0) } ?? []
    }
}

/// Data messages and their payload bytes.
struct DataCount {
    var messages: Int64 = 0
    var bytes: Int64 = 0
    mutating func add(bytes: Int) {
        messages += 1
        self.bytes += Int64(bytes)
    }
}

/// One message on its way into the WebSocket message being built.
enum Outgoing {
    case message(CourierMessage)
    /// A TextData/BinaryData delivery encoded from its shared publication's parts.
    case data(MessageType, MessageHeader, Route, ByteBuffer)
    /// The read batch's coalesced Acknowledge, encoded from its sequence alone.
    case acknowledge(UInt32)

    var type: MessageType {
        switch self {
        case .message(let message): message.type
        case .data(let type, _, _, _): type
        case .acknowledge: .acknowledge
        }
    }
}

