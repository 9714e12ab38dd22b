import CourierWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// What a load generator does with an established connection, on its event loop.
///
/// With a driver, `RawCourierConnection` hands it every message after the handshake
/// (heartbeat pings are still answered by the connection) instead of counting data
/// messages, and tells it when a read batch ends: the moment to acknowledge what
/// arrived and to write more. The driver writes with `write(_:)` and `flush()`.
protocol RawConnectionDriver: AnyObject {
    func connection(_ connection: RawCourierConnection, received message: CourierMessage)
    func connectionReadComplete(_ connection: RawCourierConnection)
    /// The connection sent something that does not decode, or closed.
    func connection(_ connection: RawCourierConnection, failed reason: String)
}

/// A minimal Courier connection for load generation: JWT handshake, optional
/// subscription, then counts received data messages (or publishes) directly on the
/// event loop, with no per-message task hops, so the benchmark measures the server.
final class RawCourierConnection: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum Phase { case challenge, response, subscribed, ready }

    let token: String
    let subscribeTo: String?
    let received: NIOLockedValueBox<Int>
    let ready: EventLoopPromise<Void>
    private var phase = Phase.challenge
    private let decoder = MessageDecoder(version: .v2, limits: WireLimits(maxMessageBytes: 1 << 20, maxMessagesPerFrame: 1 << 16))
    private let encoder = MessageEncoder(version: .v2)
    private(set) var channel: (any Channel)?
    /// This handler's context while it is in the pipeline: drivers write through it
    /// (`context.write` of a wrapped frame), as `RawEchoClient` does, not through the
    /// generic `Channel.write`, which casts and boxes at run time per call.
    private var context: ChannelHandlerContext?
    /// The server's HandshakeResponse (credit, limits), once received.
    private(set) var handshakeResponse: HandshakeResponse?
    /// The channel alias of the subscription, once subscribed.
    private(set) var subscribedChannel: UInt32?
    /// Gets every message once the connection is ready (nil: count data messages in `received`).
    let driver: (any RawConnectionDriver)?

    /// Messages the server reported dropped for this connection (Error 402 gap notices).
    var dropped: NIOLockedValueBox<Int>?
    /// Counts the server's heartbeat pings this connection answered (nil: not counted).
    let heartbeats: NIOLockedValueBox<Int>?

    init(
        token: String, subscribeTo: String?, received: NIOLockedValueBox<Int>, ready: EventLoopPromise<Void>, driver: (any RawConnectionDriver)? = nil,
        heartbeats: NIOLockedValueBox<Int>? = nil
    ) {
        self.token = token
        self.subscribeTo = subscribeTo
        self.received = received
        self.ready = ready
        self.driver = driver
        self.heartbeats = heartbeats
    }

    /// - Parameters:
    ///   - heartbeats: counts the heartbeat pings answered.
    ///   - source: the local address to bind the socket to (e.g. another 127.0.0.x, so
    ///     that many connections are not limited by one address's ephemeral ports).
    ///   - tls: `wss://`: TLS under the WebSocket connection with this context (the
    ///     server's certificate verified as the context says; no SNI for an IP address).
    static func connect(
        host: String, port: Int, token: String, subscribeTo: String?, received: NIOLockedValueBox<Int>, group: any EventLoopGroup,
        driver: (any RawConnectionDriver)? = nil, heartbeats: NIOLockedValueBox<Int>? = nil, source: SocketAddress? = nil,
        tls: NIOSSLContext? = nil
    ) async throws -> RawCourierConnection {
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let handler = RawCourierConnection(token: token, subscribeTo: subscribeTo, received: received, ready: ready, driver: driver, heartbeats: heartbeats)
        var bootstrap = ClientBootstrap(group: loop)
        if let source { bootstrap = bootstrap.bind(to: source) }
        let channel = try await bootstrap
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : host))
                    }
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24) { channel, _ in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                    }
                    let request = UpgradeRequest(host: host, port: port)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            _ = try? context.pipeline.syncOperations.removeHandler(request)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: host, port: port).get()
        handler.channel = channel
        let done = NIOLockedValueBox(false)
        ready.futureResult.whenComplete { _ in done.withLockedValue { $0 = true } }
        channel.closeFuture.whenComplete { _ in if !done.withLockedValue({ $0 }) { ready.fail(ChannelError.ioOnClosedChannel) } }
        // A handshake that does not finish in 10 s counts as a failed connection.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { timeout.cancel() }
        try await ready.futureResult.get()
        return handler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .binary else { return }
        guard phase == .ready else { return handshake(context, frame.unmaskedData) }
        if let driver { return drive(driver, context, frame.unmaskedData) }
        var reader = FrameReader(frame: frame.unmaskedData, decoder: decoder)
        var count = 0
        var gaps = 0
        while let decoded = try? reader.next() {
            switch decoded.message.body {
            case .binaryData, .textData: count += 1
            case .error(let error) where error.code == .messagesDropped:
                // "N messages dropped: …" (docs/PROTOCOL.md §16.2)
                gaps += Int(error.message.prefix { $0.isNumber }) ?? 0
            case .heartbeat(let ping) where ping.kind == .ping:
                send(context, [CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: ping.value)))])
                heartbeats?.withLockedValue { $0 += 1 }
            default: break
            }
        }
        if count > 0 { received.withLockedValue { $0 += count } }
        if gaps > 0, let dropped { dropped.withLockedValue { $0 += gaps } }
    }

    /// Hands every message of one WebSocket message to the driver, in order.
    private func drive(_ driver: any RawConnectionDriver, _ context: ChannelHandlerContext, _ data: ByteBuffer) {
        var reader = FrameReader(frame: data, decoder: decoder)
        do {
            while let decoded = try reader.next() {
                if case .heartbeat(let ping) = decoded.message.body, ping.kind == .ping {
                    send(context, [CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: ping.value)))])
                    heartbeats?.withLockedValue { $0 += 1 }
                } else {
                    driver.connection(self, received: decoded.message)
                }
            }
        } catch {
            driver.connection(self, failed: "the server sent a message that does not decode: \(error)")
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if phase == .ready, let driver { driver.connectionReadComplete(self) }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if phase == .ready, let driver { driver.connection(self, failed: "the connection closed") }
        context.fireChannelInactive()
    }

    private func handshake(_ context: ChannelHandlerContext, _ data: ByteBuffer) {
        guard let decoded = try? FrameReader.decodeAll(data, decoder: decoder) else { return context.close(promise: nil) }
        for item in decoded {
            switch (phase, item.message.body) {
            case (.challenge, .challenge):
                phase = .response
                send(context, [CourierMessage(body: .handshake(Handshake(minVersion: 2, maxVersion: 2, auth: .jwt(token: token))))])
            case (.response, .handshakeResponse(let response)):
                handshakeResponse = response
                if let topic = subscribeTo {
                    phase = .subscribed
                    send(context, [CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: topic)))])
                } else {
                    phase = .ready
                    ready.succeed()
                }
            case (.subscribed, .subscribeResult(let result)):
                subscribedChannel = result.channel
                phase = .ready
                ready.succeed()
            case (_, .close), (_, .error):
                context.close(promise: nil)
            default:
                break
            }
        }
    }

    /// Sends `messages` as one masked WebSocket message.
    func send(_ context: ChannelHandlerContext, _ messages: [CourierMessage]) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        try? encoder.encodeBatch(messages, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: buffer)), promise: nil)
    }

    /// Writes one masked WebSocket message without flushing; on the event loop (drivers).
    func write(_ batch: ByteBuffer) {
        context?.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: batch)), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Publishes a prepared batch from any thread.
    func publish(_ batch: ByteBuffer) -> EventLoopFuture<Void> {
        guard let channel else { return MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: batch))
    }
}

/// Sends the HTTP upgrade request with the Courier subprotocol.
private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Sec-WebSocket-Protocol", value: "courier.v2")
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)  // not upgraded
    }
}
