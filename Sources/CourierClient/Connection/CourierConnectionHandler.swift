import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOWebSocket

/// One client connection after the WebSocket upgrade: decodes binary frames, feeds
/// `ClientConnectionStateMachine` and performs what it decides, batches outgoing
/// messages (one masked binary frame and one flush per event-loop tick), answers
/// WebSocket pings, runs the heartbeat/handshake timer, and closes cleanly.
///
/// The state machine decides; this handler acts. It reads the clock (`eventLoop.now`)
/// and hands `SessionInstant`s to the state machine, which never reads one. Lives on
/// its channel's event loop only.
final class CourierConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = Never
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Settings {
        var version: ProtocolVersion
        var authentication: CourierClient.Authentication
        var handshakeTimeout: Duration
        var replayLimits: OutboundReliability.Limits
        var wireLimits: WireLimits
        /// Server → client credit (§16.3); nil leaves it off.
        var flowControl: ReceiveWindow.Limits? = nil
        /// Handshake extensions (§7.15), e.g. the compression offer.
        var extensions: [HandshakeExtension] = []

        /// How long to wait for the server's close frame after sending ours (§10).
        static let closeGracePeriod = TimeAmount.seconds(5)
    }

    enum SendOutcome: Equatable {
        /// Numbered (when reliable) and queued for this tick's frame.
        case queued(sequence: UInt32?)
        /// The replay buffer is full: nothing was queued.
        case bufferFull
        /// A data message that the send credit does not cover (or that would have to
        /// pass data already waiting for credit): nothing was queued (§16.3).
        case noCredit
        /// The connection is not Active (handshaking or closing).
        case unavailable
    }

    let id: Int
    let settings: Settings
    var stateMachine: ClientConnectionStateMachine
    let decoder: MessageDecoder
    var batcher: OutboundBatcher
    weak var delegate: (any ConnectionHandlerDelegate)?
    let logger: Logger

    var context: ChannelHandlerContext?
    var wakeup: (deadline: NIODeadline, task: Scheduled<Void>)?
    var closeTimer: Scheduled<Void>?
    var flushScheduled = false
    var inReadBatch = false
    var needsFlush = false
    /// Set once the connection starts to end: the first reason wins.
    var ending: ConnectionEnd?
    var closeFrameSent = false
    var established = false
    var handshakeError: ErrorMessage?
    var readingPaused: Bool
    var readPending = false
    var reportedEnd = false
    /// What the server may still send us; nil until the handshake, or when flow
    /// control is off (§16.3).
    var receiveWindow: ReceiveWindow?

    init(
        id: Int, settings: Settings, resuming session: ReliableSession?, ticket: ClientConnectionStateMachine.Ticket?,
        now: NIODeadline, readingPaused: Bool = false, delegate: any ConnectionHandlerDelegate, logger: Logger
    ) {
        self.id = id
        self.settings = settings
        self.stateMachine = ClientConnectionStateMachine(
            configuration: .init(version: settings.version, handshakeTimeout: settings.handshakeTimeout, replayLimits: settings.replayLimits),
            resuming: session, ticket: ticket, now: SessionInstant(now)
        )
        self.decoder = MessageDecoder(version: settings.version, limits: settings.wireLimits)
        self.batcher = OutboundBatcher(
            version: settings.version, maxMessagesPerFrame: settings.wireLimits.maxMessagesPerFrame,
            frameBudget: settings.wireLimits.maxMessageBytes
        )
        self.readingPaused = readingPaused
        self.delegate = delegate
        var logger = logger
        logger[metadataKey: "courier.connection"] = "\(id)"
        self.logger = logger
    }

    // MARK: Channel lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { scheduleWakeup() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        scheduleWakeup()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        if !reportedEnd {
            reportedEnd = true
            var end = ending ?? ConnectionEnd(reason: "the connection was lost")
            end.wasEstablished = established
            end.handshakeError = handshakeError
            end.session = stateMachine.connectionClosed()
            logger.debug("connection ended", metadata: ["code": "\(end.closeCode.map { "\($0)" } ?? "none")", "reason": "\(end.reason)"])
            delegate?.connection(id, .ended(end))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: ["error": "\(error)"])
        if ending == nil {
            ending = ConnectionEnd(closeCode: Self.closeCode(for: error), reason: "\(error)", closedLocally: true)
        }
        context.close(promise: nil)
    }

    /// The close code a WebSocket-level error stands for; nil for I/O errors (the
    /// connection is simply lost, and the client reconnects).
    static func closeCode(for error: any Error) -> CloseCode? {
        if let error = error as? NIOWebSocketFrameAggregator.Error {
            return error == .accumulatedFrameSizeIsTooLarge ? .messageTooBig : .protocolError
        }
        if let error = error as? NIOWebSocketError {
            return error == .invalidFrameLength ? .messageTooBig : .protocolError
        }
        return nil
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        inReadBatch = true
        switch frame.opcode {
        case .binary:
            receiveBinary(frame.unmaskedData, now: SessionInstant(context.eventLoop.now))
        case .text:
            closeLocally(Close(code: .unsupportedData, reason: "text frames are not allowed"))
        case .ping:
            guard !closeFrameSent else { return }
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
            needsFlush = true
        case .connectionClose:
            receivedCloseFrame(frame.unmaskedData)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        if ending == nil, let ack = stateMachine.takeAcknowledgement() {
            batcher.append(ack)
        }
        if ending == nil, let update = receiveWindow?.takeUpdate() {
            batcher.append(CourierMessage(body: .windowUpdate(update)))
        }
        flushNow()
        delegate?.connection(id, .readComplete)
        scheduleWakeup()
    }

    /// Reads are held while the application is behind, but never during the handshake
    /// (a paused reconnect must still be able to complete it).
    func read(context: ChannelHandlerContext) {
        if readingPaused && established {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Stops (or resumes) reading from the socket while the application is behind.
    func setReadingPaused(_ paused: Bool) {
        readingPaused = paused
        if !paused, readPending, let context {
            readPending = false
            context.read()
        }
    }

    private func receiveBinary(_ buffer: ByteBuffer, now: SessionInstant) {
        guard ending == nil else { return }
        var reader = FrameReader(frame: buffer, decoder: decoder)
        do {
            while ending == nil, let decoded = try reader.next() {
                let message = decoded.message
                let charged = charge(message)
                let action = stateMachine.received(message, now: now)
                if let charged, !action.delivers {
                    // Spent credit but never reaches the application (a duplicate): returned at once.
                    receiveWindow?.consumed(messages: 1, bytes: charged)
                }
                perform(action)
                if case .heartbeat(let beat) = message.body, beat.kind == .pong, let rtt = stateMachine.lastRoundTrip {
                    receiveWindow?.roundTrip(rtt)
                }
            }
        } catch {
            logger.debug("undecodable message from the server", metadata: ["error": "\(error)"])
            closeConnection(stateMachine.decodeFailed(error))
        }
    }

    private func perform(_ action: ClientConnectionStateMachine.ReceiveAction) {
        switch action {
        case .none:
            break
        case .respond(let challenge):
            respond(to: challenge)
        case .established(let response, let replay):
            established = true
            batcher.sessionID = response.sessionID
            startFlowControl(response)
            for message in replay { batcher.append(message) }
            logger.debug("established", metadata: ["session": "\(response.sessionID)", "replayed": "\(replay.count)"])
            delegate?.connection(id, .established(response))
        case .resumeFailed(let response, let reason, let unacknowledged):
            established = true
            batcher.sessionID = response.sessionID
            startFlowControl(response)
            delegate?.connection(id, .resumeFailed(response, reason: reason, unacknowledged: unacknowledged))
        case .deliver(let message):
            if case .windowUpdate(let update) = message.body {
                granted(update)
            } else {
                delegate?.connection(id, .received(message))
            }
        case .send(let message):
            enqueue(message)
        case .acknowledged:
            if let acknowledged = stateMachine.session?.outbound.acknowledged {
                delegate?.connection(id, .acknowledged(through: acknowledged))
            }
        case .peerClosed(let close):
            peerClosed(close)
        case .peerError(let error):
            if established {
                delegate?.connection(id, .peerError(error))
            } else {
                handshakeError = error
            }
        case .close(let violation):
            closeConnection(violation)
        }
    }

    private func respond(to challenge: Challenge) {
        let method = settings.authentication
        guard challenge.authMethods.contains(method.method) else {
            closeLocally(
                Close(code: .normal, reason: "no common authentication method"),
                failure: .authenticationMethodNotOffered(method.methodName, offered: challenge.authMethods)
            )
            return
        }
        if let handshake = stateMachine.makeHandshake(auth: method.proof(for: challenge), extensions: settings.extensions) {
            enqueue(handshake)
        }
    }
}

@available(*, unavailable)
extension CourierConnectionHandler: Sendable {}

extension SessionInstant {
    init(_ deadline: NIODeadline) { self.init(nanoseconds: deadline.uptimeNanoseconds) }

    var deadline: NIODeadline { .uptimeNanoseconds(nanoseconds) }
}
