import CourierClient
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// `close()` while the WebSocket upgrade is still unanswered (a server or a network that
/// went silent right after the TCP connect) returns at once: found by the chaos tests,
/// where a black hole swallowed the upgrade and `close()` never returned.
@Suite("Close during the upgrade")
struct CloseDuringUpgradeTests {
    /// Accepts TCP connections and never answers.
    final class Silent: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted: NIOLockedValueBox<Int>
        init(accepted: NIOLockedValueBox<Int>) { self.accepted = accepted }
        func channelActive(context: ChannelHandlerContext) { accepted.withLockedValue { $0 += 1 } }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    @Test(.timeLimit(.minutes(1)))
    func closeReturnsWhileTheUpgradeIsUnanswered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = NIOLockedValueBox(0)
        let silent = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Silent(accepted: accepted)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = CourierClient(
            configuration: .init(host: "127.0.0.1", port: silent.localAddress!.port!, authentication: .jwt(token: "unused"), handshakeTimeout: .seconds(30)),
            eventLoopGroup: group
        )
        let connecting = Task { try await client.connect() }
        while accepted.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // Let the client's TCP connect complete on its side too.
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        await client.close()
        #expect(ContinuousClock.now - started < .seconds(5), "close() returned while the upgrade was pending")
        await #expect(throws: CourierClientError.self) { try await connecting.value }
        try await silent.close()
        try await group.shutdownGracefully()
    }
}
