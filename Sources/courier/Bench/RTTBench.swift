import ArgumentParser
import CourierClient
import CourierInspect
import CourierWire
import NIOCore
import NIOPosix

/// `courier bench rtt`: round-trip time of an acknowledged message on one connection:
/// from `sendAcknowledged` to the server's Acknowledge, as an application sees it.
struct RTTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt",
        abstract: "Round-trip time of acknowledged messages (send → server ack), one connection."
    )

    @Option(help: "Messages to time.") var count = 20_000
    @Option(help: "Untimed messages first.") var warmup = 2_000
    @Option(help: "Payload bytes.") var payload = 64
    @Option(name: [.customLong("protocol")], help: "Protocol version 1 or 2.") var protocolVersion: UInt8 = 2
    @Option(help: "Measure a running server (ws://host:port/); default: start one in this process.") var url: String?
    @Option(help: "Token for --url.") var token: String?
    @Option(help: "Event loop threads of the in-process server.") var serverThreads = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        guard let version = ProtocolVersion(rawValue: protocolVersion) else { throw ValidationError("--protocol must be 1 or 2") }
        guard count > 0, payload >= 0, payload <= 1 << 20 else { throw ValidationError("--count must be positive and --payload at most 1 MiB") }
        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = CourierClient(
            configuration: .init(host: target.host, port: target.port, protocolVersions: [version], authentication: .jwt(token: target.token)),
            eventLoopGroup: group
        )
        try await client.connect()
        let body = ByteBuffer(repeating: 0x61, count: payload)
        for _ in 0..<warmup { try await client.sendAcknowledged(body, to: .topic("bench.rtt")) }
        var report = LatencyReport()
        var progress = Progress(total: count)
        let clock = ContinuousClock()
        for index in 0..<count {
            let started = clock.now
            try await client.sendAcknowledged(body, to: .topic("bench.rtt"))
            report.record(clock.now - started)
            if !json { progress.update(index + 1) }
        }
        await client.close()
        try? await group.shutdownGracefully()
        await target.stop()
        if json {
            print(JSONValue.object([
                ("scenario", .string("rtt")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(Int64(payload))), ("protocol", .number(Int64(version.rawValue))),
                ("count", .number(Int64(report.count))), ("rtt_us", report.json),
            ]).pretty)
        } else {
            print("rtt: \(payload) B acknowledged messages, protocol \(version), 1 connection, \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
            print("  " + report.line)
        }
    }
}
