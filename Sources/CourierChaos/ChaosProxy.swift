import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy that injects network faults: it listens on a port, connects each client
/// to the target, and forwards the bytes shaped and broken as its `ChaosProfile` says
/// (latency, jitter, bandwidth, small chunks, resets, black holes, outages). What
/// happens is decided by a `FaultPlanner` from the seed; the report counts it.
///
/// ```swift
/// let proxy = try await ChaosProxy.start(.init(targetHost: "127.0.0.1", targetPort: 8080, profile: .flaky, seed: 1))
/// // clients connect to 127.0.0.1:proxy.port
/// print(proxy.report)
/// await proxy.stop()
/// ```
public final class ChaosProxy: Sendable {
    public struct Configuration: Sendable {
        /// Loopback by default; `courier chaos` refuses another address unless told.
        public var listenHost: String
        /// 0: an ephemeral port (see `ChaosProxy.port`).
        public var listenPort: Int
        public var targetHost: String
        public var targetPort: Int
        public var profile: ChaosProfile
        public var seed: UInt64
        /// Bytes read from one side and not yet written to the other (delayed, or held
        /// in a black hole) beyond which the proxy stops reading that side.
        public var maxBufferedBytes: Int
        /// Bounds the connection to the target; the client is reset when it fails.
        public var connectTimeout: Duration

        public init(
            listenHost: String = "127.0.0.1", listenPort: Int = 0, targetHost: String, targetPort: Int, profile: ChaosProfile, seed: UInt64,
            maxBufferedBytes: Int = 1 << 20, connectTimeout: Duration = .seconds(5)
        ) {
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.targetHost = targetHost
            self.targetPort = targetPort
            self.profile = profile
            self.seed = seed
            self.maxBufferedBytes = maxBufferedBytes
            self.connectTimeout = connectTimeout
        }
    }

    /// What every connection of the proxy shares.
    struct Context: Sendable {
        let shared: NIOLockedValueBox<Shared>
        let start: NIODeadline
        let maxBufferedBytes: Int

        /// The proxy's clock: the time since it started.
        var elapsed: Duration { .nanoseconds((NIODeadline.now() - start).nanoseconds) }

        func deadline(_ at: Duration) -> NIODeadline {
            let (seconds, attoseconds) = at.components
            return start + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }

        var faultsOff: Bool { shared.withLockedValue { $0.faultsOff } }

        func update(_ body: (inout ChaosReport) -> Void) {
            shared.withLockedValue { body(&$0.report) }
        }
    }

    struct Shared {
        var planner: FaultPlanner
        var report = ChaosReport()
        var pairs: [UInt64: NIOLoopBound<ChaosPair>] = [:]
        var timers: [Scheduled<Void>] = []
        var stopped = false
        /// `stopFaults()` was called: no new reset, black hole or outage.
        var faultsOff = false
    }

    public let configuration: Configuration
    /// The port the proxy listens on.
    public let port: Int
    private let server: any Channel
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let context: Context

    /// Binds the listener and schedules the profile's outages (their times count from now).
    /// - Parameter eventLoopGroup: where connections run; nil: a group of one thread of its own.
    public static func start(_ configuration: Configuration, eventLoopGroup: (any EventLoopGroup)? = nil) async throws -> ChaosProxy {
        try configuration.profile.validate()
        precondition(configuration.maxBufferedBytes > 0, "maxBufferedBytes must be positive")
        let group = eventLoopGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let context = Context(
            shared: NIOLockedValueBox(Shared(planner: FaultPlanner(profile: configuration.profile, seed: configuration.seed))),
            start: .now(), maxBufferedBytes: configuration.maxBufferedBytes
        )
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .childChannelInitializer { client in
                    Self.admit(client, configuration: configuration, context: context)
                }
                .bind(host: configuration.listenHost, port: configuration.listenPort).get()
        } catch {
            if eventLoopGroup == nil { try? await group.shutdownGracefully() }
            throw error
        }
        let proxy = ChaosProxy(configuration: configuration, port: server.localAddress?.port ?? 0, server: server, group: group, ownsGroup: eventLoopGroup == nil, context: context)
        proxy.scheduleOutages()
        return proxy
    }

    private init(configuration: Configuration, port: Int, server: any Channel, group: any EventLoopGroup, ownsGroup: Bool, context: Context) {
        self.configuration = configuration
        self.port = port
        self.server = server
        self.group = group
        self.ownsGroup = ownsGroup
        self.context = context
    }

    /// What the proxy has done so far.
    public var report: ChaosReport {
        context.shared.withLockedValue { state in
            var report = state.report
            report.connectionsOpen = state.pairs.count
            return report
        }
    }

    /// The time since the proxy started (the clock of the profile's outages).
    public var elapsed: Duration { context.elapsed }

    /// Stops listening, cancels the outages and resets every connection.
    public func stop() async {
        let timers = context.shared.withLockedValue { state in
            state.stopped = true
            return state.timers
        }
        for timer in timers { timer.cancel() }
        try? await server.close()
        try? await resetAll(cause: .stop).get()
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// From now on no new reset, black hole or outage (shaping goes on; a black hole
    /// already open lasts as planned). For a quiet end: `courier bench soak` lets the
    /// last messages arrive this way.
    public func stopFaults() {
        let timers = context.shared.withLockedValue { state in
            state.faultsOff = true
            return state.timers
        }
        for timer in timers { timer.cancel() }
    }

    // MARK: Accepting

    private static func admit(_ client: any Channel, configuration: Configuration, context: Context) -> EventLoopFuture<Void> {
        let now = context.elapsed
        let admission = context.shared.withLockedValue { state -> FaultPlanner.Admission? in
            guard !state.stopped else { return nil }
            let admission = state.faultsOff ? state.planner.admitWithoutOutage(at: now) : state.planner.admit(at: now)
            switch admission {
            case .refuse: state.report.connectionsRefused += 1
            case .accept: state.report.connectionsAccepted += 1
            }
            return admission
        }
        guard case .accept(let plan) = admission else {
            return ChaosPair.setReset(client).flatMap { client.close() }
        }
        let loop = client.eventLoop
        let pair = NIOLoopBound(ChaosPair(plan: plan, client: client, context: context), eventLoop: loop)
        context.shared.withLockedValue { $0.pairs[plan.index] = pair }
        do {
            // Before the target connection: a client that leaves meanwhile ends the pair.
            try client.pipeline.syncOperations.addHandler(ChaosSideHandler(pair: pair, side: .client))
        } catch {
            return loop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: false)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.components.seconds) * 1_000_000_000 + configuration.connectTimeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { server in
                server.eventLoop.makeCompletedFuture { try server.pipeline.syncOperations.addHandler(ChaosSideHandler(pair: pair, side: .server)) }
            }
            .connect(host: configuration.targetHost, port: configuration.targetPort)
            .map { server in pair.value.begin(server: server) }
            .flatMapError { error in
                context.shared.withLockedValue { state in
                    state.report.targetConnectFailures += 1
                    state.pairs.removeValue(forKey: plan.index)
                }
                return ChaosPair.setReset(client).flatMapThrowing { _ -> Void in throw error }
            }
    }

    // MARK: Outages

    enum ResetCause {
        case outage
        case stop
    }

    /// Resets every open connection; completes when each has been told.
    func resetAll(cause: ResetCause) -> EventLoopFuture<Void> {
        let pairs = context.shared.withLockedValue { Array($0.pairs.values) }
        let loop = group.next()
        let resets = pairs.map { pair in
            pair.eventLoop.submit { pair.value.reset(outage: cause == .outage) }
        }
        return EventLoopFuture.andAllComplete(resets, on: loop)
    }

    private func scheduleOutages() {
        let loop = group.next()
        let timers = configuration.profile.outages.map { outage in
            loop.scheduleTask(deadline: context.deadline(outage.start)) { [self] in
                context.update { $0.outages += 1 }
                _ = resetAll(cause: .outage)
            }
        }
        context.shared.withLockedValue { $0.timers = timers }
    }
}
