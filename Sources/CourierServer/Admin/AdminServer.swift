import CourierSession
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener's socket: its own `ServerBootstrap` on the server's event loops.
final class AdminServer: Sendable {
    let listener: AdminListener
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    private let open = NIOLockedValueBox(0)

    init(listener: AdminListener) {
        self.listener = listener
    }

    var port: Int? { channel.withLockedValue { $0?.localAddress?.port } }

    func start(group: any EventLoopGroup, isReady: @escaping @Sendable () -> Bool, logger: Logger) async throws {
        let listener = self.listener
        let routes = AdminRoutes(metrics: listener.metrics, metricsContentType: listener.metricsContentType, isReady: isReady)
        let open = self.open
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let admitted = open.withLockedValue { count in
                    guard count < listener.maxConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(AdminRequestLimiter(maxBytes: listener.maxRequestBytes))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try sync.addHandler(AdminHTTPHandler(routes: routes, timeout: listener.requestTimeout))
                }
            }
        let bound = try await bootstrap.bind(host: listener.host, port: listener.port).get()
        channel.withLockedValue { $0 = bound }
        logger.info("admin listener", metadata: ["host": "\(listener.host)", "port": "\(bound.localAddress?.port ?? 0)", "paths": "/metrics /health /ready"])
    }

    func stop() async {
        guard let bound = channel.withLockedValue({ value in defer { value = nil }; return value }) else { return }
        try? await bound.close()
    }
}
