import CourierWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

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

    init(token: String, subscribeTo: String?, received: NIOLockedValueBox<Int>, ready: EventLoopPromise<Void>) {
        self.token = token
        self.subscribeTo = subscribeTo
        self.received = received
        self.ready = ready
    }

    static func connect(host: String, port: Int, token: String, subscribeTo: String?, received: NIOLockedValueBox<Int>, group: any EventLoopGroup) async throws -> RawCourierConnection {
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let handler = RawCourierConnection(token: token, subscribeTo: subscribeTo, received: received, ready: ready)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .binary else { return }
        guard phase == .ready else { return handshake(context, frame.unmaskedData) }
        var reader = FrameReader(frame: frame.unmaskedData, decoder: decoder)
        var count = 0
        while let decoded = try? reader.next() {
            switch decoded.message.body {
            case .binaryData, .textData: count += 1
            case .heartbeat(let ping) where ping.kind == .ping:
                send(context, [CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: ping.value)))])
            default: break
            }
        }
        if count > 0 { received.withLockedValue { $0 += count } }
    }

    private func handshake(_ context: ChannelHandlerContext, _ data: ByteBuffer) {
        guard let decoded = try? FrameReader.decodeAll(data, decoder: decoder) else { return context.close(promise: nil) }
        for item in decoded {
            switch (phase, item.message.body) {
            case (.challenge, .challenge):
                phase = .response
                send(context, [CourierMessage(body: .handshake(Handshake(minVersion: 2, maxVersion: 2, auth: .jwt(token: token))))])
            case (.response, .handshakeResponse):
                if let topic = subscribeTo {
                    phase = .subscribed
                    send(context, [CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: topic)))])
                } else {
                    phase = .ready
                    ready.succeed()
                }
            case (.subscribed, .subscribeResult):
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
