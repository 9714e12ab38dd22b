import ArgumentParser
import CourierInspect
import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench fanout`: one publisher, N subscribers of one topic; deliveries per
/// second through the server, and the server's mallocs per delivery when the
/// CourierMallocCounter library is built beside this executable (it is preloaded into
/// the `courier serve` child).
struct FanoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Deliveries per second from one publisher to N subscribers of one topic."
    )

    @Option(help: "Subscribers.") var subscribers = 1_000
    @Option(help: "Messages published.") var count = 1_000
    @Option(help: "Payload bytes.") var payload = 64
    @Option(help: "Messages per WebSocket message from the publisher.") var batch = 50
    @Option(help: "Event loop threads of the server.") var serverThreads = 1
    @Option(help: "The server's --shared-payload-bytes (payloads this large or larger are written by reference; default: the server's).")
    var sharedPayloadBytes: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        guard subscribers > 0, count > 0, batch > 0 else { throw ValidationError("--subscribers, --count and --batch must be positive") }
        raiseFileLimit()
        let target = try await BenchTarget.make(url: nil, token: nil, serverThreads: serverThreads, forFanout: true, countMallocs: true, serverArguments: sharedPayloadBytes.map { ["--shared-payload-bytes", String($0)] } ?? [])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let received = NIOLockedValueBox(0)
        let dropped = NIOLockedValueBox(0)
        var connections: [RawCourierConnection] = []
        connections.reserveCapacity(subscribers)
        var connected = 0
        var failed = 0
        while connected + failed < subscribers {
            let wave = min(200, subscribers - connected - failed)
            await withTaskGroup(of: RawCourierConnection?.self) { tasks in
                for _ in 0..<wave {
                    tasks.addTask {
                        try? await RawCourierConnection.connect(host: target.host, port: target.port, token: target.token, subscribeTo: "bench.fanout", received: received, group: group)
                    }
                }
                for await connection in tasks {
                    if let connection {
                        connection.dropped = dropped
                        connections.append(connection)
                        connected += 1
                    } else {
                        failed += 1
                    }
                }
            }
            if !json { FileHandle.standardError.write(Data("\r  \(connected)/\(subscribers) subscribers connected".utf8)) }
        }
        if !json { FileHandle.standardError.write(Data("\n".utf8)) }
        let publisher = try await RawCourierConnection.connect(host: target.host, port: target.port, token: target.token, subscribeTo: nil, received: received, group: group)

        var frame = ByteBuffer()
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic("bench.fanout"), payload: ByteBuffer(repeating: 0x66, count: payload))))
        try MessageEncoder(version: .v2).encodeBatch(Array(repeating: message, count: batch), into: &frame)
        guard connected > 0 else { throw BenchError("no subscriber could connect (\(failed) failed)") }
        let expected = connected * count
        // At most ~256 KiB of payload per subscriber ahead of the slowest delivery (at
        // least one batch), so the bench measures delivery, not the slow-consumer policy.
        let batchesAhead = max(1, (256 << 10) / max(1, batch * payload))
        let clock = ContinuousClock()
        // The server's mallocs from the first publication to the last delivery (reading the
        // count is outside the timed part).
        let mallocsBefore = await target.mallocCount()
        let started = clock.now
        var sent = 0
        while sent < count {
            let n = min(batch, count - sent)
            var piece = frame
            if n < batch {
                piece = ByteBuffer()
                try MessageEncoder(version: .v2).encodeBatch(Array(repeating: message, count: n), into: &piece)
            }
            try await publisher.publish(piece).get()
            sent += n
            // Keep the publisher at most a few batches ahead of the slowest delivery.
            while received.withLockedValue({ $0 }) + dropped.withLockedValue({ $0 }) < (sent - batchesAhead * batch) * connected {
                try await Task.sleep(for: .microseconds(200))
            }
        }
        var last = -1
        var stalled = clock.now
        while true {
            let now = received.withLockedValue { $0 } + dropped.withLockedValue { $0 }
            if now >= expected { break }
            if now != last { last = now; stalled = clock.now }
            if clock.now - stalled > .seconds(30) { break }
            try await Task.sleep(for: .microseconds(200))
        }
        let elapsed = clock.now - started
        let mallocsAfter = await target.mallocCount()
        let delivered = received.withLockedValue { $0 }
        let droppedCount = dropped.withLockedValue { $0 }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(delivered) / seconds
        var serverMallocs: UInt64?
        var mallocsUnavailable = target.mallocCountUnavailable
        if let mallocsBefore, let mallocsAfter, mallocsAfter >= mallocsBefore {
            serverMallocs = mallocsAfter - mallocsBefore
        } else if mallocsUnavailable == nil {
            mallocsUnavailable = "courier serve did not report its malloc count (SIGUSR2)"
        }
        let allocationsPerDelivery = serverMallocs.flatMap { delivered > 0 ? Double($0) / Double(delivered) : nil }
        for connection in connections { connection.channel?.close(promise: nil) }
        publisher.channel?.close(promise: nil)
        try? await group.shutdownGracefully()
        await target.stop()
        if json {
            var allocations: [(String, JSONValue)] = [
                ("allocations_per_delivery", allocationsPerDelivery.map { .decimal(String(format: "%.4f", $0)) } ?? .null),
                ("server_mallocs", serverMallocs.map { .number(Int64(clamping: $0)) } ?? .null),
            ]
            if let mallocsUnavailable { allocations.append(("allocations_unavailable", .string(mallocsUnavailable))) }
            print(JSONValue.object([
                ("scenario", .string("fanout")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(Int64(payload))), ("subscribers", .number(Int64(connected))), ("failed_connections", .number(Int64(failed))),
                ("dropped", .number(Int64(droppedCount))),
                ("messages", .number(Int64(count))),
                ("delivered", .number(Int64(delivered))), ("expected", .number(Int64(expected))),
                ("deliveries_per_second", .number(Int64(rate))), ("seconds", .decimal(String(format: "%.3f", seconds))),
            ] + allocations).pretty)
        } else {
            print("fanout: 1 publisher → \(connected) subscribers (\(failed) failed to connect), \(count) × \(payload) B, \(BuildInfo.mode) build, \(BuildInfo.cores) cores, server threads \(serverThreads)")
            print("  delivered \(delivered)/\(expected) in \(String(format: "%.3f", seconds)) s: \(Int(rate)) deliveries/s" + (droppedCount > 0 ? "; \(droppedCount) dropped by the server (slow consumer)" : ""))
            if let allocationsPerDelivery, let serverMallocs {
                print("  server mallocs: \(serverMallocs), \(String(format: "%.4f", allocationsPerDelivery)) per delivery")
            } else {
                print("  server mallocs: not counted: \(mallocsUnavailable ?? "no deliveries")")
            }
        }
    }

    /// Every subscriber costs two descriptors here (client and server side): raise the
    /// soft limit to the hard one, and the hard one too when allowed (root).
    func raiseFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let wanted = rlim_t(max(Int(limit.rlim_max), 4 * subscribers + 1_024))
        var raised = rlimit(rlim_cur: wanted, rlim_max: wanted)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}
