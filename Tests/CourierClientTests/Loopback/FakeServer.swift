import CourierAuth
import CourierSession
import CourierWire
import Crypto
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A minimal Courier server on 127.0.0.1 for end-to-end tests of the client: the
/// WebSocket upgrade, `ServerConnectionStateMachine`, HMAC auth and session resume.
/// Scripted by topic:
///
/// * `echo`: the payload comes back as a reliable TextData on topic `echo`;
/// * `restart`: the server closes with 1012 and a 10 ms retry hint (after acknowledging);
/// * `forget`: the same at once, without acknowledging, and the session is forgotten;
/// * subscribing to `denied` is refused with Error 300.
///
/// It grants the client `credit` in the HandshakeResponse and enforces it like the
/// real server (Error 401 + Close 4008, counted in `creditViolations`); `grant` and
/// `push` send WindowUpdates and data to the client; `wait(until:)` waits for a
/// condition on the server's state without polling.
final class FakeServer: Sendable {
    static let keyID = "k1"
    static let secret: [UInt8] = Array(repeating: 0x42, count: 32)

    /// Session state shared by connections (all on the server's single loop).
    final class State: @unchecked Sendable {
        var sessions: [UInt64: ReliableSession] = [:]
        var lastSessionID: UInt64 = 99
        /// Payloads of the data messages the server delivered, in order.
        var received: [String] = []
        /// The credit each connection starts with (§16.3).
        var credit = (messages: UInt32(1_000), bytes: UInt32(1 << 20))
        /// Data messages the client sent beyond its credit.
        var creditViolations = 0
        /// WindowUpdates from the client, in order, across connections.
        var windowUpdates: [WindowUpdate] = []
        /// The connection that completed the last handshake.
        var current: FakeServerHandler?
        var waiters: [(condition: (State) -> Bool, promise: EventLoopPromise<Void>)] = []

        /// Completes the waits whose condition now holds.
        func changed() {
            var pending: [(condition: (State) -> Bool, promise: EventLoopPromise<Void>)] = []
            for waiter in waiters {
                if waiter.condition(self) { waiter.promise.succeed(()) } else { pending.append(waiter) }
            }
            waiters = pending
        }
    }

    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let state: State

    var port: Int { channel.localAddress?.port ?? 0 }

    /// - Parameter selecting: the subprotocol named in the 101 response.
    ///   - credit: the client's initial credit.
    static func start(selecting subprotocol: String = "courier.v2", credit: (messages: UInt32, bytes: UInt32) = (1_000, 1 << 20)) async throws -> FakeServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = State()
        state.credit = credit
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 20,
                    shouldUpgrade: { channel, _ in
                        var headers = HTTPHeaders()
                        headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
                        return channel.eventLoop.makeSucceededFuture(headers)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FakeServerHandler(state: state, now: channel.eventLoop.now))
                        }
                    }
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeServer(group: group, channel: channel, state: state)
    }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, state: State) {
        self.group = group
        self.channel = channel
        self.state = state
    }

    /// What the server received so far (read on its loop).
    func received() async throws -> [String] {
        let state = self.state
        return try await channel.eventLoop.submit { state.received }.get()
    }

    /// The WindowUpdates received so far.
    func windowUpdates() async throws -> [WindowUpdate] {
        let state = self.state
        return try await channel.eventLoop.submit { state.windowUpdates }.get()
    }

    func creditViolations() async throws -> Int {
        let state = self.state
        return try await channel.eventLoop.submit { state.creditViolations }.get()
    }

    /// Returns once `condition` holds (checked on the server's loop after every change).
    func wait(until condition: @escaping @Sendable (State) -> Bool) async throws {
        let state = self.state
        let loop = channel.eventLoop
        try await loop.flatSubmit {
            if condition(state) { return loop.makeSucceededVoidFuture() }
            let promise = loop.makePromise(of: Void.self)
            state.waiters.append((condition, promise))
            return promise.futureResult
        }.get()
    }

    /// Writes `messages` to the current connection, in one flush.
    func push(_ messages: [CourierMessage]) async throws {
        let state = self.state
        try await channel.eventLoop.submit { state.current?.push(messages) }.get()
    }

    /// Grants the client more credit on the current connection.
    func grant(messages: UInt32, bytes: UInt32) async throws {
        try await push([CourierMessage(body: .windowUpdate(WindowUpdate(messages: messages, bytes: bytes)))])
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

/// One server-side connection, driven by `ServerConnectionStateMachine`.
final class FakeServerHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let state: FakeServer.State
    var machine: ServerConnectionStateMachine
    let encoder = MessageEncoder(version: .v2)
    let decoder = MessageDecoder(version: .v2)
    let nonce: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    var sessionID: UInt64?
    var restartRequested = false
    var forgetSession = false
    var closing = false
    var context: ChannelHandlerContext?
    /// What the client may still send on this connection.
    var clientCredit = SendCredit.unlimited

    init(state: FakeServer.State, now: NIODeadline) {
        self.state = state
        self.machine = ServerConnectionStateMachine(configuration: .init(version: .v2, heartbeatInterval: .zero), now: Self.instant(now))
    }

    static func instant(_ deadline: NIODeadline) -> SessionInstant { SessionInstant(nanoseconds: deadline.uptimeNanoseconds) }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        write(machine.challenge(nonce: nonce, authMethods: .all), context: context)
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            do {
                for decoded in try FrameReader.decodeAll(frame.unmaskedData, decoder: decoder) where !closing {
                    handle(machine.received(decoded.message, now: Self.instant(context.eventLoop.now)), context: context)
                }
            } catch {
                close(machine.decodeFailed(error), context: context)
            }
            state.changed()
        case .connectionClose:
            var data = ByteBuffer()
            data.writeInteger(UInt16(1000))
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !closing else { return }
        if let ack = machine.takeAcknowledgement() { write(ack, context: context) }
        context.flush()
        if restartRequested {
            restartRequested = false
            close(Violation(error: nil, close: Close(code: .serviceRestart, retryAfterMillis: 10, reason: "restarting")), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state.current === self { state.current = nil }
        if let session = machine.connectionClosed(), let sessionID, !forgetSession { state.sessions[sessionID] = session }
        context.fireChannelInactive()
    }

    func push(_ messages: [CourierMessage]) {
        guard let context, !closing else { return }
        for message in messages {
            if case .windowUpdate(let update) = message.body { clientCredit.grant(update) }
            write(message, context: context)
        }
        context.flush()
    }

    private func handle(_ action: ServerConnectionStateMachine.ReceiveAction, context: ChannelHandlerContext) {
        if case .deliver(let message) = action, let payload = message.dataPayload {
            guard clientCredit.allows(bytes: payload.readableBytes) else {
                state.creditViolations += 1
                close(Violation(
                    error: ErrorMessage(code: .creditExceeded, message: "credit exceeded"),
                    close: Close(code: .creditExceeded, reason: "credit exceeded")
                ), context: context)
                return
            }
            clientCredit.spend(bytes: payload.readableBytes)
        }
        switch action {
        case .authenticate(let handshake):
            authenticate(handshake, context: context)
        case .deliver(let message):
            deliver(message, context: context)
        case .send(let message):
            write(message, context: context)
        case .close(let violation):
            close(violation, context: context)
        case .none, .acknowledged, .peerError, .peerClosed:
            break
        }
    }

    private func authenticate(_ handshake: Handshake, context: ChannelHandlerContext) {
        guard case .hmac(let keyID, let mac) = handshake.auth, keyID == FakeServer.keyID,
              HMACProof.isValid(Array(mac.readableBytesView), key: SymmetricKey(data: FakeServer.secret), nonce: nonce, keyID: keyID) else {
            if let violation = machine.authenticationFailed(code: .badProof, reason: "proof does not verify") { close(violation, context: context) }
            return
        }
        var session = ReliableSession()
        var status = HandshakeResponse.ResumeStatus.new
        if let resume = handshake.resume {
            if let kept = state.sessions.removeValue(forKey: resume.sessionID) {
                session = kept
                sessionID = resume.sessionID
                status = .resumed(lastReceived: kept.inbound.lastReceived)
            } else {
                status = .failed(.unknownSession)
            }
        }
        if sessionID == nil {
            state.lastSessionID += 1
            sessionID = state.lastSessionID
        }
        let response = HandshakeResponse(
            version: 2, sessionID: sessionID ?? 0, resumeToken: ByteBuffer(bytes: [1, 2, 3]), heartbeatMillis: 0,
            creditMessages: state.credit.messages, creditBytes: state.credit.bytes, maxMessageBytes: 1 << 20, resume: status
        )
        clientCredit = SendCredit(messages: Int64(state.credit.messages), bytes: Int64(state.credit.bytes))
        switch machine.authenticated(session: session, response: response, clientLastReceived: handshake.resume?.lastReceived, now: Self.instant(context.eventLoop.now)) {
        case .success(let messages)?:
            state.current = self
            for message in messages { write(message, context: context) }
        case .failure(let violation)?: close(violation, context: context)
        case nil: break
        }
    }

    private func deliver(_ message: CourierMessage, context: ChannelHandlerContext) {
        switch message.body {
        case .textData(let data), .binaryData(let data):
            state.received.append(String(buffer: data.payload))
            guard case .topic(let topic) = data.route else { return }
            if topic == "echo" {
                let echo = CourierMessage(body: .textData(DataMessage(route: .topic("echo"), payload: data.payload)))
                if case .send(let numbered)? = machine.send(echo, reliable: true, bytes: data.payload.readableBytes) {
                    write(numbered, context: context)
                }
            } else if topic == "restart" {
                restartRequested = true
            } else if topic == "forget" {
                forgetSession = true
                close(Violation(error: nil, close: Close(code: .serviceRestart, retryAfterMillis: 10, reason: "forgetting")), context: context)
            }
        case .windowUpdate(let update):
            state.windowUpdates.append(update)
        case .subscribe(let subscribe):
            if subscribe.pattern == "denied" {
                write(CourierMessage(body: .error(ErrorMessage(code: .subscribeDenied, reference: .request(subscribe.requestID), message: "no"))), context: context)
            } else {
                write(CourierMessage(body: .subscribeResult(SubscribeResult(
                    requestID: subscribe.requestID, channel: 7, epoch: 1, offset: 0, recovery: .notRequested
                ))), context: context)
            }
        default:
            break
        }
    }

    private func write(_ message: CourierMessage, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try? encoder.encode(message, into: &buffer)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
    }

    private func close(_ violation: Violation, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        if let error = violation.error { write(CourierMessage(body: .error(error)), context: context) }
        write(CourierMessage(body: .close(violation.close)), context: context)
        var data = ByteBuffer()
        data.writeInteger(violation.close.code.rawValue)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension FakeServerHandler: Sendable {}
