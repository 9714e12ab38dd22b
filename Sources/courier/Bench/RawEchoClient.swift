import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Histogram
import NIOWebSocket

/// Ping-pong timing shared by `courier bench rtt --raw-echo` and `--client loop`: who
/// is in flight, what is timed, when the run ends. The caller performs the writes and
/// passes the time in; everything runs on one event loop.
///
/// Message `n` (1-based) of the run is warm-up while `n <= warmup` and timed after.
/// With `pipelined` N, N messages are kept in flight (N = 1: classic ping-pong).
struct PingPongRun {
    let warmup: Int
    let count: Int
    let pipelined: Int
    private(set) var sent = 0
    private(set) var received = 0
    private(set) var report = LatencyReport()
    /// The same round trips in nanoseconds (`report` has microsecond buckets: too coarse
    /// to compare two servers whose medians are 16 and 20 µs).
    private(set) var nanoseconds = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// Send instants of the messages in flight, oldest first (a ring of `pipelined`).
    private var sentAt: [ContinuousClock.Instant]
    private var head = 0
    private(set) var timedStart: ContinuousClock.Instant?
    private(set) var timedEnd: ContinuousClock.Instant?

    /// - Precondition: local configuration (validated by the command).
    init(warmup: Int, count: Int, pipelined: Int) {
        precondition(warmup >= 0 && count > 0 && pipelined > 0, "invalid rtt configuration")
        self.warmup = warmup
        self.count = count
        self.pipelined = pipelined
        self.sentAt = Array(repeating: ContinuousClock.now, count: pipelined)
    }

    var total: Int { warmup + count }
    var finished: Bool { received == total }
    var inFlight: Int { sent - received }

    /// Messages to write now (0 when enough are in flight or all are sent).
    var wanted: Int { min(pipelined - inFlight, total - sent) }

    mutating func wrote(at now: ContinuousClock.Instant) {
        sentAt[(head + inFlight) % pipelined] = now
        sent += 1
        if sent == warmup + 1 { timedStart = now }
    }

    enum Reply: Equatable {
        case timed
        case warmup
        /// A reply with nothing in flight: the peer is not an echo server.
        case unexpected
    }

    /// The reply to the oldest message in flight arrived at `now`.
    mutating func receivedReply(at now: ContinuousClock.Instant) -> Reply {
        guard inFlight > 0 else { return .unexpected }
        let started = sentAt[head]
        head = (head + 1) % pipelined
        received += 1
        guard received > warmup else { return .warmup }
        report.record(now - started)
        _ = nanoseconds.record(UInt64(max(1, (now - started).nanosecondsApproximately)))
        if received == total { timedEnd = now }
        return .timed
    }

    /// Timed messages per second from the first timed write to the last reply.
    var messagesPerSecond: Double {
        guard let timedStart, let timedEnd else { return 0 }
        let elapsed = timedEnd - timedStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(count) / seconds : 0
    }
}

/// The client of `courier bench rtt --raw-echo URL`: a plain WebSocket connection (no
/// Courier protocol) that writes `--payload`-byte binary messages to an echo server
/// and times each reply, on its event loop with no task hops, so the measurement is
/// of the server and the loopback, like `--client loop` for Courier.
final class RawEchoClient: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var run: PingPongRun
    private let payload: ByteBuffer
    private let done: EventLoopPromise<PingPongRun>
    private let progress: (@Sendable (Int) -> Void)?
    /// Inside a fragmented reply (after a non-final first frame).
    private var inFragmentedMessage = false
    private var pendingFlush = false
    /// Set when the upgrader adds the handler; used only on its event loop.
    private var context: ChannelHandlerContext?

    init(run: PingPongRun, payload: ByteBuffer, done: EventLoopPromise<PingPongRun>, progress: (@Sendable (Int) -> Void)?) {
        self.run = run
        self.payload = payload
        self.done = done
        self.progress = progress
    }

    /// Connects and upgrades to `url` (ws://host:port/path), runs, and returns the finished run.
    static func measure(
        url: String, run: PingPongRun, payload: ByteBuffer, group: any EventLoopGroup, progress: (@Sendable (Int) -> Void)?
    ) async throws -> PingPongRun {
        guard let parsed = URLComponents(string: url), parsed.scheme == "ws", let host = parsed.host, let port = parsed.port else {
            throw BenchError("--raw-echo must look like ws://127.0.0.1:9000/")
        }
        let path = parsed.percentEncodedPath.isEmpty ? "/" : parsed.percentEncodedPath
        let loop = group.next()
        let done = loop.makePromise(of: PingPongRun.self)
        let upgraded = loop.makePromise(of: Void.self)
        let client = RawEchoClient(run: run, payload: payload, done: done, progress: progress)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(client)
                            upgraded.succeed()
                        }
                    }
                    let request = EchoUpgradeRequest(host: host, port: port, path: path)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(request, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: host, port: port).get()
        channel.closeFuture.whenComplete { _ in
            upgraded.fail(BenchError("the echo server at \(url) closed the connection"))
            done.fail(BenchError("the echo server at \(url) closed the connection before the run finished"))
        }
        let timeout = loop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try await upgraded.futureResult.get()
        timeout.cancel()
        try await loop.submit { client.start() }.get()
        let result = try await done.futureResult.get()
        try? await channel.close()
        return result
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes the first messages; on the event loop, once the upgrade has completed.
    func start() {
        guard let context else { return done.fail(BenchError("the connection closed before the run started")) }
        writeWanted(context)
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text, .continuation:
            inFragmentedMessage = !frame.fin
            guard frame.fin else { return }
            let now = ContinuousClock.now
            guard run.receivedReply(at: now) != .unexpected else {
                done.fail(BenchError("the server sent a message nothing asked for: not an echo server"))
                return context.close(promise: nil)
            }
            if run.finished {
                progress?(run.count)
                done.succeed(run)
                return
            }
            if run.received > run.warmup, let progress { progress(run.received - run.warmup) }
            if run.pipelined == 1 {
                writeWanted(context)
                context.flush()
            } else {
                writeWanted(context)
                pendingFlush = true
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.write(wrapOutboundOut(pong), promise: nil)
            pendingFlush = true
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    private func writeWanted(_ context: ChannelHandlerContext) {
        for _ in 0..<run.wanted {
            run.wrote(at: .now)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: payload)), promise: nil)
        }
    }
}

/// Sends the HTTP upgrade request of a plain WebSocket (no subprotocol).
private final class EchoUpgradeRequest: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let port: Int
    let path: String

    init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)  // not upgraded
    }
}

/// `courier bench rtt --client loop`: the same event-loop ping-pong as `--raw-echo`,
/// over the Courier protocol: one reliable BinaryData message with AckRequested in
/// flight (or `--pipelined` N), timed from its write to the server's Acknowledge.
final class CourierPingPong: RawConnectionDriver, @unchecked Sendable {
    private var run: PingPongRun
    private var frames: ThroughputFrames
    private let done: EventLoopPromise<PingPongRun>
    private let progress: (@Sendable (Int) -> Void)?
    private var pendingFlush = false

    init(run: PingPongRun, topic: String, payloadBytes: Int, done: EventLoopPromise<PingPongRun>, progress: (@Sendable (Int) -> Void)?) {
        self.run = run
        self.frames = ThroughputFrames(topic: topic, payloadBytes: payloadBytes)
        self.done = done
        self.progress = progress
    }

    /// On the connection's event loop.
    func start(_ connection: RawCourierConnection) {
        writeWanted(connection)
        connection.flush()
    }

    func connection(_ connection: RawCourierConnection, received message: CourierMessage) {
        guard case .acknowledge(let ack) = message.body else {
            if case .error(let error) = message.body { fail(connection, "the server sent an error: \(error)") }
            if case .close(let close) = message.body { fail(connection, "the server closed: \(close)") }
            return
        }
        // Acknowledgements are cumulative: one may complete several messages in flight.
        while run.received < min(Int(ack.sequence), run.sent) {
            _ = run.receivedReply(at: .now)
            if run.finished {
                progress?(run.count)
                return done.succeed(run)
            }
            if run.received > run.warmup, let progress { progress(run.received - run.warmup) }
        }
        writeWanted(connection)
        if run.pipelined == 1 { connection.flush() } else { pendingFlush = true }
    }

    func connectionReadComplete(_ connection: RawCourierConnection) {
        if pendingFlush {
            pendingFlush = false
            connection.flush()
        }
    }

    func connection(_ connection: RawCourierConnection, failed reason: String) {
        done.fail(BenchError(reason))
    }

    private func fail(_ connection: RawCourierConnection, _ reason: String) {
        done.fail(BenchError(reason))
        connection.channel?.close(promise: nil)
    }

    private func writeWanted(_ connection: RawCourierConnection) {
        for _ in 0..<run.wanted {
            do {
                let frame = try frames.frame(first: UInt32(run.sent + 1), count: 1)
                run.wrote(at: .now)
                connection.write(frame)
            } catch {
                return fail(connection, "encoding failed: \(error)")
            }
        }
    }
}
