import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on 127.0.0.1 that tests can cut: `sever()` resets every connection
/// with bytes still in flight (SO_LINGER 0), `refuse(true)` turns new connections away.
/// It stands in for a network that fails.
final class TestProxy: Sendable {
    let port: Int
    private let server: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state: NIOLockedValueBox<State>

    struct State {
        var pairs: [ObjectIdentifier: (any Channel, any Channel)] = [:]
        var refusing = false
        /// Bytes are swallowed in both directions; connections stay open (half-open).
        var blackHole = false
        var accepted = 0
    }

    static func start(targetPort: Int) async throws -> TestProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = NIOLockedValueBox(State())
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                let refusing = state.withLockedValue { state -> Bool in
                    state.accepted += 1
                    return state.refusing
                }
                if refusing {
                    return resetOnClose(inbound).flatMap { inbound.close() }
                }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { outbound in
                        outbound.pipeline.addHandler(Glue(peer: inbound, state: state))
                    }
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        let key = ObjectIdentifier(inbound)
                        state.withLockedValue { $0.pairs[key] = (inbound, outbound) }
                        inbound.closeFuture.whenComplete { _ in _ = state.withLockedValue { $0.pairs.removeValue(forKey: key) } }
                        return inbound.pipeline.addHandler(Glue(peer: outbound, state: state)).flatMap { inbound.setOption(.autoRead, value: true) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestProxy(port: server.localAddress!.port!, server: server, group: group, state: state)
    }

    private init(port: Int, server: any Channel, group: MultiThreadedEventLoopGroup, state: NIOLockedValueBox<State>) {
        self.port = port
        self.server = server
        self.group = group
        self.state = state
    }

    /// Resets every proxied connection at once, both sides, dropping what is in flight.
    func sever() async {
        let pairs = state.withLockedValue { state in
            defer { state.pairs.removeAll() }
            return Array(state.pairs.values)
        }
        for (a, b) in pairs {
            for channel in [a, b] {
                _ = try? await resetOnClose(channel).get()
                try? await channel.close()
            }
        }
    }

    /// While true, new connections are reset as soon as they arrive.
    func refuse(_ refusing: Bool) {
        state.withLockedValue { $0.refusing = refusing }
    }

    /// While true, nothing is forwarded in either direction, and nothing is closed.
    func blackHole(_ on: Bool) {
        state.withLockedValue { $0.blackHole = on }
    }

    var liveConnections: Int { state.withLockedValue { $0.pairs.count } }

    func stop() async {
        await sever()
        try? await server.close()
        try? await group.shutdownGracefully()
    }
}

/// SO_LINGER 0: closing sends a TCP reset instead of a FIN.
private func resetOnClose(_ channel: any Channel) -> EventLoopFuture<Void> {
    guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
    return provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
}

/// Copies bytes to the peer channel.
private final class Glue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let state: NIOLockedValueBox<TestProxy.State>

    init(peer: any Channel, state: NIOLockedValueBox<TestProxy.State>) {
        self.peer = peer
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !state.withLockedValue({ $0.blackHole }) else { return }
        peer.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        peer.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
