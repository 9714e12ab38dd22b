import CoreMetrics
import CourierSession
import CourierAuth
import CourierWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The Courier server: a SwiftNIO WebSocket server speaking the Courier protocol.
///
/// ```swift
/// let server = try await CourierServer(configuration: configuration)
/// try await server.start()
/// // … server.port …
/// await server.shutdown()
/// ```
public final class CourierServer: Sendable {
    public let configuration: ServerConfiguration
    let context: ServerContext
    let group: MultiThreadedEventLoopGroup
    let tracker = ConnectionTracker()
    private let channelBox = NIOLockedValueBox<(any Channel)?>(nil)
    private let sweeper = NIOLockedValueBox<RepeatedTask?>(nil)
    private let phase = NIOLockedValueBox(Phase.idle)
    let admin: AdminServer?

    /// Where the server is in its life, for `GET /ready`.
    enum Phase: Sendable {
        case idle, accepting, draining, stopped
    }

    /// - Throws: `ServerConfiguration.Invalid` naming the key, before anything starts
    ///   (for TLS: the file and what is wrong with it).
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "courier.server")) async throws {
        try configuration.validate()
        self.configuration = configuration
        var sslContext: NIOSSLContext?
        if let tls = configuration.tls { sslContext = try TLSContextLoader.makeContext(tls) }
        let authenticator = await Authenticator(configuration: configuration.auth)
        let resumeTokens = try ResumeTokens(secret: configuration.secret)
        self.context = ServerContext(
            configuration: configuration, authenticator: authenticator, resumeTokens: resumeTokens, sslContext: sslContext, logger: logger
        )
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        self.admin = configuration.admin.map(AdminServer.init(listener:))
    }

    /// True while the server accepts connections: after `start()`, until a drain or
    /// shutdown begins (`GET /ready` answers 503 from then on).
    public var isReady: Bool { phase.withLockedValue { $0 == .accepting } }

    /// True from the first moment of `drain()` or `shutdown()`.
    public var isDraining: Bool { phase.withLockedValue { $0 == .draining || $0 == .stopped } }

    /// The admin listener's bound port (after `start()`), if there is one.
    public var adminPort: Int? { admin?.port }

    /// The bound port (after `start()`).
    public var port: Int? { channelBox.withLockedValue { $0?.localAddress?.port } }

    /// Sessions the server holds, attached or waiting for a resume.
    public var sessionCount: Int { context.registry.count }

    /// Live connections.
    public var connectionCount: Int { tracker.count }

    public func start() async throws {
        if let admin {
            // First, so /health answers while sessions are restored; /ready waits for the bind.
            try await admin.start(group: group, isReady: { [phase] in phase.withLockedValue { $0 == .accepting } }, logger: context.logger)
        }
        try restoreSessions()
        let context = self.context
        let tracker = self.tracker
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1_024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Idle connections keep their receive buffer between reads: start small
            // (it grows for busy ones), so 10,000 idle sessions do not hold 20 MB.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
            .childChannelOption(.writeBufferWaterMark, value: .init(low: configuration.outboundLowWater, high: configuration.outboundHighWater))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configurePipeline(channel, context: context, tracker: tracker)
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        channelBox.withLockedValue { $0 = channel }
        let registry = context.registry
        let clock = configuration.clock
        let task = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            registry.sweep(now: clock.now())
        }
        sweeper.withLockedValue { $0 = task }
        phase.withLockedValue { if $0 == .idle { $0 = .accepting } }
        context.logger.info("listening", metadata: [
            "host": "\(configuration.host)", "port": "\(channel.localAddress?.port ?? 0)", "scheme": "\(context.sslContext == nil ? "ws" : "wss")",
        ])
    }

    static func configurePipeline(_ channel: any Channel, context: ServerContext, tracker: ConnectionTracker) throws {
        let configuration = context.configuration
        let connectionID = tracker.makeID()
        let address = channel.remoteAddress?.ipAddress
        if let sslContext = context.sslContext {
            // wss://: TLS first, under everything else (also under a 429 refusal).
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            try channel.pipeline.syncOperations.addHandler(TLSHandshakeMonitor(metrics: context.metrics, logger: context.logger, address: address))
        }
        if let address {
            let now = configuration.clock.now()
            if let refusal = context.addressLimiter.withLockedValue({ $0.connectionOpened(from: address, now: now) }) {
                let reason = refusal == .tooManyConnections
                    ? "too many connections from \(address): at most \(Int(configuration.addressLimits.connectionsPerSecond))/s"
                    : "too many failed handshakes from \(address): at most \(Int(configuration.addressLimits.failedHandshakesPerMinute))/min"
                context.metrics.rejected(refusal == .tooManyConnections ? "address_connection_rate" : "address_failed_handshakes")
                context.metrics.addressRefused(refusal)
                context.logger.notice("connection refused", metadata: ["address": "\(address)", "reason": "\(reason)"])
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(
                    HTTPRejectionHandler(configuration: configuration, metrics: context.metrics, logger: context.logger, forced: (.tooManyRequests, reason))
                )
                return
            }
        }
        let deadline = UpgradeDeadlineHandler(timeout: .nanoseconds(configuration.upgradeTimeout.nanoseconds)) {
            context.metrics.rejected("upgrade_timeout")
        }
        let rejection = HTTPRejectionHandler(configuration: configuration, metrics: context.metrics, logger: context.logger)
        let websocket = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxFrameBytes,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                switch UpgradeDecision.decide(head, configuration: configuration) {
                case .courier(let version):
                    var headers = HTTPHeaders()
                    headers.add(name: "Sec-WebSocket-Protocol", value: version.subprotocol)
                    return channel.eventLoop.makeSucceededFuture(headers)
                case .echo:
                    return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                case .reject:
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    switch UpgradeDecision.decide(head, configuration: configuration) {
                    case .courier:
                        // `CourierWebSocketUpgrader` upgrades these itself.
                        channel.close(promise: nil)
                    case .echo:
                        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1_024, maxAccumulatedFrameSize: configuration.maxFrameBytes
                        ))
                        try channel.pipeline.syncOperations.addHandler(EchoHandler())
                    case .reject:
                        channel.close(promise: nil)
                    }
                }
            }
        )
        let upgrader = CourierWebSocketUpgrader(
            inner: websocket,
            isCourier: { head in
                if case .courier = UpgradeDecision.decide(head, configuration: configuration) { return true }
                return false
            },
            courierPipeline: { channel, head in
                guard case .courier(let version) = UpgradeDecision.decide(head, configuration: configuration) else { return }
                // Frames are parsed and fragments joined by the handler itself
                // (`InboundFrameParser`, `FragmentAssembler`).
                let handler = ServerConnectionHandler(server: context, version: version, connectionID: connectionID, address: address)
                try channel.pipeline.syncOperations.addHandler(handler)
                let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                tracker.add(connectionID, .init(
                    eventLoop: channel.eventLoop,
                    close: { close in bound.value.close(close) },
                    sever: { channel.close(promise: nil) },
                    closeFuture: channel.closeFuture
                ))
            }
        )
        try channel.pipeline.syncOperations.addHandler(deadline)
        let removable = NIOLoopBound((deadline, rejection), eventLoop: channel.eventLoop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { handlerContext in
                let pipeline = handlerContext.pipeline.syncOperations
                _ = try? pipeline.removeHandler(removable.value.0)
                _ = try? pipeline.removeHandler(removable.value.1)
            })
        )
        try channel.pipeline.syncOperations.addHandler(rejection)
    }

    /// Stops accepting, closes every connection with `close` (1001 by default; 1012
    /// with a retry hint for a restart, spread per connection over the jitter window),
    /// waits up to `grace` for them to go, then stops the event loops.
    public func shutdown(close: Close = Close(code: .goingAway, reason: "server shutting down"), grace: Duration = .seconds(5)) async {
        // Once only: a second call (a drain, then a test's cleanup) has nothing left to stop.
        let stopped = phase.withLockedValue { phase in
            defer { if phase != .stopped { phase = .draining } }
            return phase == .stopped
        }
        guard !stopped else { return }
        sweeper.withLockedValue { $0?.cancel() }
        if let channel = channelBox.withLockedValue({ $0 }) {
            try? await channel.close()
        }
        for entry in tracker.all {
            entry.eventLoop.execute { entry.close(close) }
        }
        await waitForConnectionsToClose(within: grace)
        if tracker.count > 0 {
            // Past the deadline: cut the rest (their sessions detach, so they are saved too).
            context.logger.notice("cutting connections still open after the drain deadline", metadata: ["connections": "\(tracker.count)"])
            severAllConnections()
            await waitForConnectionsToClose(within: .seconds(1))
        }
        // Detaching finishes in a task on each connection's loop: let those run.
        for loop in group.makeIterator() { try? await loop.submit {}.get() }
        saveSessions()
        await admin?.stop()
        phase.withLockedValue { $0 = .stopped }
        try? await group.shutdownGracefully()
    }

    /// Graceful stop for a restart: `shutdown` with the drain policy's `Close 1012` and
    /// retry hint, within its deadline; detached sessions are saved when
    /// `sessionSnapshotPath` is set.
    public func drain() async {
        phase.withLockedValue { if $0 != .stopped { $0 = .draining } }
        let policy = configuration.drain
        context.logger.info("draining", metadata: [
            "connections": "\(connectionCount)", "retry_after_ms": "\(policy.retryAfter.milliseconds)", "jitter_ms": "\(policy.jitter.milliseconds)",
        ])
        await shutdown(close: policy.close, grace: policy.deadline)
    }

    private func waitForConnectionsToClose(within grace: Duration) async {
        let futures = tracker.all.map(\.closeFuture)
        guard !futures.isEmpty else { return }
        let loop = group.next()
        let done = loop.makePromise(of: Void.self)
        let completed = NIOLockedValueBox(false)
        let finish: @Sendable () -> Void = {
            if completed.withLockedValue({ value in defer { value = true }; return !value }) { done.succeed() }
        }
        EventLoopFuture.andAllComplete(futures, on: loop).whenComplete { _ in finish() }
        let timeout = loop.scheduleTask(in: .nanoseconds(grace.nanoseconds)) { finish() }
        try? await done.futureResult.get()
        timeout.cancel()
    }

    /// Fault injection for tests and benchmarks: drops every TCP connection at once,
    /// without a Close, as a failing network would. Sessions wait for their resume.
    public func severAllConnections() {
        for entry in tracker.all {
            entry.eventLoop.execute { entry.sever() }
        }
    }

    /// Runs the sweep of expired sessions now (tests use a manual clock).
    public func sweepExpiredSessions() -> Int {
        context.registry.sweep(now: configuration.clock.now())
    }
}

import NIOConcurrencyHelpers
