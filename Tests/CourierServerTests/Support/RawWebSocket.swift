import CourierWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A bare WebSocket client for tests: sends exactly the bytes a test asks for
/// (including garbage) and records every frame the server sends back.
final class RawWebSocket: Sendable {
    enum Event: Sendable {
        case frame(WebSocketFrame)
        case closed
    }

    let channel: any Channel
    let events: AsyncStream<Event>
    let subprotocol: String?

    private init(channel: any Channel, events: AsyncStream<Event>, subprotocol: String?) {
        self.channel = channel
        self.events = events
        self.subprotocol = subprotocol
    }

    /// Connects and upgrades, offering `subprotocols`.
    static func connect(port: Int, group: any EventLoopGroup, subprotocols: [String] = ["courier.v2"], path: String = "/", maxFrameSize: Int = 1 << 24, receiveBuffer: Int? = nil) async throws -> RawWebSocket {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let upgraded = group.next().makePromise(of: String?.self)
        var bootstrap = ClientBootstrap(group: group)
        if let receiveBuffer { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer)) }
        bootstrap = bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let request = InitialRequestHandler(path: path, port: port, subprotocols: subprotocols)
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxFrameSize, upgradePipelineHandler: { channel, response in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Recorder(continuation: continuation))
                        upgraded.succeed(response.headers.first(name: "sec-websocket-protocol"))
                    }
                })
                let bound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                    _ = try? context.pipeline.syncOperations.removeHandler(bound.value)
                }))
                try channel.pipeline.syncOperations.addHandler(request)
            }
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { _ in
            upgraded.fail(ChannelError.ioOnClosedChannel)
            continuation.yield(.closed)
            continuation.finish()
        }
        let subprotocol = try await upgraded.futureResult.get()
        return RawWebSocket(channel: channel, events: stream, subprotocol: subprotocol)
    }

    /// Sends raw bytes as one masked frame.
    func send(_ bytes: [UInt8], opcode: WebSocketOpcode = .binary, fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame).get()
    }

    /// Encodes and sends Courier messages as one frame.
    func send(_ messages: [CourierMessage], version: ProtocolVersion = .v2) async throws {
        var buffer = ByteBuffer()
        try MessageEncoder(version: version).encodeBatch(messages, into: &buffer)
        try await send(Array(buffer.readableBytesView))
    }

    func close() async {
        try? await channel.close()
    }

    /// Stops (or resumes) reading from the socket: a client that cannot keep up.
    func reading(_ on: Bool) async throws {
        try await channel.setOption(.autoRead, value: on).get()
        if on { channel.read() }
    }
}

/// Collects what the server sends and what closing it took.
struct Transcript {
    var messages: [CourierMessage] = []
    var closeFrameCode: UInt16?
    var closed = false
    var textFrames = 0
    /// WebSocket pong frames, with their payloads.
    var pongs: [[UInt8]] = []
}

extension RawWebSocket {
    /// Reads until `until` returns true or the connection closes.
    func read(version: ProtocolVersion = .v2, until done: (Transcript) -> Bool = { _ in false }) async throws -> Transcript {
        var transcript = Transcript()
        let decoder = MessageDecoder(version: version)
        for await event in events {
            switch event {
            case .frame(let frame):
                switch frame.opcode {
                case .binary:
                    for decoded in try FrameReader.decodeAll(frame.unmaskedData, decoder: decoder) {
                        transcript.messages.append(decoded.message)
                    }
                case .connectionClose:
                    var data = frame.unmaskedData
                    transcript.closeFrameCode = data.readInteger(as: UInt16.self)
                case .text:
                    transcript.textFrames += 1
                case .pong:
                    transcript.pongs.append(Array(frame.unmaskedData.readableBytesView))
                default:
                    break
                }
            case .closed:
                transcript.closed = true
                return transcript
            }
            if done(transcript) { return transcript }
        }
        transcript.closed = true
        return transcript
    }
}

private final class Recorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    let continuation: AsyncStream<RawWebSocket.Event>.Continuation
    init(continuation: AsyncStream<RawWebSocket.Event>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(.frame(unwrapInboundIn(data)))
    }
}

private final class InitialRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let path: String
    let port: Int
    let subprotocols: [String]

    init(path: String, port: Int, subprotocols: [String]) {
        self.path = path
        self.port = port
        self.subprotocols = subprotocols
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "127.0.0.1:\(port)")
        headers.add(name: "Content-Length", value: "0")
        if !subprotocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", ")) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer()))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response that was not an upgrade: the connection just closes.
        context.close(promise: nil)
    }
}
