import ArgumentParser
import CourierClient
import CourierInspect
import CourierWire
import CourierServer
import CourierSession
import Histogram
import Foundation
import NIOCore
import NIOPosix

/// `courier bench resume`: how long a dropped connection takes to come back resumed,
/// not counting the reconnect backoff delay (measured from the client's disconnect
/// event to its resumed `connected` event, minus the announced delay).
struct ResumeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Reconnect + resume time after the server drops the connection (backoff excluded)."
    )

    @Option(help: "Connection drops to time.") var count = 200
    @Option(help: "Reliable messages in flight each way before each drop.") var inFlight = 20
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        let target = try await BenchTarget.make(url: nil, token: nil, serverThreads: 1)
        guard let server = target.server else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = CourierClient(
            configuration: .init(host: target.host, port: target.port, authentication: .jwt(token: target.token),
                                 reconnect: .init(base: .milliseconds(1), cap: .milliseconds(2), maxAttempts: 0)),
            eventLoopGroup: group
        )
        try await client.connect()
        var events = client.events.makeAsyncIterator()
        // The first connection's event.
        while let event = await events.next() { if case .connected = event { break } }
        var report = LatencyReport()
        var progress = Progress(total: count)
        let clock = ContinuousClock()
        let body = ByteBuffer(repeating: 0x62, count: 64)
        var failures = 0
        for index in 0..<count {
            for _ in 0..<inFlight { try await client.send(body, to: .topic("bench.resume")) }
            server.severAllConnections()
            var lostAt: ContinuousClock.Instant?
            var delay = Duration.zero
            while let event = await events.next() {
                switch event {
                case .disconnected: lostAt = clock.now
                case .reconnecting(_, let d): delay += d
                case .connected(_, let resumed):
                    if let lostAt { report.record(clock.now - lostAt - delay) }
                    if !resumed { failures += 1 }
                case .resumeFailed: failures += 1
                default: break
                }
                if case .connected = event { break }
            }
            if !json { progress.update(index + 1) }
        }
        await client.close()
        try? await group.shutdownGracefully()
        await target.stop()
        if json {
            print(JSONValue.object([
                ("scenario", .string("resume")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(64)), ("count", .number(Int64(report.count))), ("resume_failed", .number(Int64(failures))),
                ("resume_ms", .object([
                    ("p50", .decimal(String(format: "%.3f", Double(report.percentile(50)) / 1_000))),
                    ("p99", .decimal(String(format: "%.3f", Double(report.percentile(99)) / 1_000))),
                    ("max", .decimal(String(format: "%.3f", Double(report.histogram.max) / 1_000))),
                ])),
            ]).pretty)
        } else {
            print("resume: \(count) drops with \(inFlight) messages in flight, \(BuildInfo.mode) build, \(BuildInfo.cores) cores; \(failures) resumes failed")
            print("  " + report.line)
        }
    }
}
