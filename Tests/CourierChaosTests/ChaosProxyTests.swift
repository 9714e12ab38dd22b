import CourierChaos
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// The proxy on 127.0.0.1 in front of an echo server: shaping keeps every byte in order,
/// and the faults it injects are the ones it reports.
@Suite("Chaos proxy", .serialized)
struct ChaosProxyTests {
    /// Echoes what it reads.
    final class Echo: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// Collects what the client reads and how its connection ended.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox<[UInt8]>([])
        let ended = NIOLockedValueBox<String?>(nil)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += bytes }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            ended.withLockedValue { $0 = $0 ?? "\(error)" }
            context.close(promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) {
            ended.withLockedValue { $0 = $0 ?? "closed" }
        }
    }

    struct Rig {
        let group: MultiThreadedEventLoopGroup
        let echo: any Channel
        let proxy: ChaosProxy

        static func start(_ profile: ChaosProfile, seed: UInt64 = 1) async throws -> Rig {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let echo = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Echo()) } }
                .bind(host: "127.0.0.1", port: 0).get()
            let proxy = try await ChaosProxy.start(.init(targetHost: "127.0.0.1", targetPort: echo.localAddress!.port!, profile: profile, seed: seed))
            return Rig(group: group, echo: echo, proxy: proxy)
        }

        func connect() async throws -> (any Channel, Collector) {
            let collector = Collector()
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
                .connect(host: "127.0.0.1", port: proxy.port).get()
            return (channel, collector)
        }

        func stop() async {
            await proxy.stop()
            try? await echo.close()
            try? await group.shutdownGracefully()
        }
    }

    func waitUntil(_ deadline: Duration = .seconds(5), _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + deadline
        while !condition(), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func shapedBytesArriveWholeAndInOrder() async throws {
        let rig = try await Rig.start(ChaosProfile(
            clientToServer: .init(latencyMillis: 2, jitterMillis: 8, maxChunkBytes: 7),
            serverToClient: .init(latencyMillis: 1, jitterMillis: 3, bandwidthBytesPerSecond: 2_000_000, maxChunkBytes: 13)
        ))
        let (channel, collector) = try await rig.connect()
        var sent: [UInt8] = []
        for round in 0..<40 {
            let bytes = (0..<(50 + round * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
            sent += bytes
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        }
        try await waitUntil { collector.received.withLockedValue { $0.count } >= sent.count }
        #expect(collector.received.withLockedValue { $0 } == sent)
        let report = rig.proxy.report
        #expect(report.bytesClientToServer == sent.count && report.bytesServerToClient == sent.count)
        #expect(report.chunks >= 2 * sent.count / 13, "written in small chunks: \(report)")
        #expect(report.delayedChunks > 0 && report.maxDelay >= .milliseconds(1))
        try await channel.close()
        await rig.stop()
    }

    @Test func aPlannedResetIsAnRSTAndIsCounted() async throws {
        let rig = try await Rig.start(ChaosProfile(resets: .init(meanIntervalMillis: 50)))
        let (_, collector) = try await rig.connect()
        try await waitUntil { collector.ended.withLockedValue { $0 } != nil }
        let ended = collector.ended.withLockedValue { $0 } ?? "still open"
        #expect(ended.contains("reset") || ended.contains("ECONNRESET") || ended.contains("104"), "the client saw a reset: \(ended)")
        #expect(rig.proxy.report.resets == 1)
        #expect(rig.proxy.report.connectionsOpen == 0)
        await rig.stop()
    }

    @Test func afterStopFaultsNothingIsBrokenAnyMore() async throws {
        let rig = try await Rig.start(ChaosProfile(resets: .init(meanIntervalMillis: 20), outages: [.init(atMillis: 100, durationMillis: 5_000)]))
        rig.proxy.stopFaults()
        let (channel, collector) = try await rig.connect()
        try await Task.sleep(for: .milliseconds(300))
        try await channel.writeAndFlush(ByteBuffer(string: "calm"))
        try await waitUntil { collector.received.withLockedValue { $0.count } == 4 }
        #expect(collector.ended.withLockedValue { $0 } == nil)
        #expect(rig.proxy.report.resets == 0 && rig.proxy.report.outages == 0)
        try await channel.close()
        await rig.stop()
    }

    @Test func aBlackHoleHoldsBytesWithoutClosingAndEndsWithTheConnection() async throws {
        let rig = try await Rig.start(ChaosProfile(blackHoles: .init(meanIntervalMillis: 10, durationMillis: nil)))
        let (channel, collector) = try await rig.connect()
        try await waitUntil { rig.proxy.report.blackHoles == 1 }
        try await channel.writeAndFlush(ByteBuffer(string: "anyone there?"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(collector.received.withLockedValue { $0 }.isEmpty, "nothing comes back through a black hole")
        #expect(collector.ended.withLockedValue { $0 } == nil, "and nothing closes it")
        try await channel.close()
        try await waitUntil { !rig.proxy.report.detections.isEmpty }
        let detection = rig.proxy.report.detections.first
        #expect(detection?.by == .client)
        #expect((detection?.after ?? .zero) >= .milliseconds(200))
        await rig.stop()
    }

    @Test func aBlackHoleWithAnEndDeliversWhatItHeld() async throws {
        let rig = try await Rig.start(ChaosProfile(blackHoles: .init(meanIntervalMillis: 10, durationMillis: 300)))
        let (channel, collector) = try await rig.connect()
        try await waitUntil { rig.proxy.report.blackHoles >= 1 }
        try await channel.writeAndFlush(ByteBuffer(string: "held"))
        try await waitUntil { collector.received.withLockedValue { $0.count } >= 4 }
        #expect(String(decoding: collector.received.withLockedValue { $0 }, as: UTF8.self).hasPrefix("held"))
        try await channel.close()
        await rig.stop()
    }

    @Test func anOutageResetsEveryConnectionAndRefusesNewOnesUntilItEnds() async throws {
        let rig = try await Rig.start(ChaosProfile(outages: [.init(atMillis: 1_000, durationMillis: 400)]))
        let (_, first) = try await rig.connect()
        try await waitUntil { first.ended.withLockedValue { $0 } != nil }
        #expect(rig.proxy.report.outages == 1 && rig.proxy.report.outageResets == 1)
        // Refused: reset as soon as accepted (the reset may even beat the client's connect).
        if let (_, refused) = try? await rig.connect() {
            try await waitUntil { refused.ended.withLockedValue { $0 } != nil }
            #expect(refused.ended.withLockedValue { $0 } != nil)
        }
        #expect(rig.proxy.report.connectionsRefused == 1)
        try await waitUntil { rig.proxy.elapsed > .milliseconds(1_420) }
        let (channel, after) = try await rig.connect()
        try await channel.writeAndFlush(ByteBuffer(string: "back"))
        try await waitUntil { after.received.withLockedValue { $0.count } == 4 }
        #expect(after.received.withLockedValue { $0 } == Array("back".utf8))
        try await channel.close()
        await rig.stop()
    }
}
