import ArgumentParser
import CourierClient
import CourierInspect
import CourierWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench rtt`: round-trip time of an acknowledged message on one connection:
/// from `sendAcknowledged` to the server's Acknowledge, as an application sees it
/// (`--client app`), or from the write to the Acknowledge on the client's event loop
/// (`--client loop`). `--raw-echo URL` times the same ping-pong against a plain
/// WebSocket binary echo server, with no Courier protocol (see Benchmarks/Peers).
struct RTTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt",
        abstract: "Round-trip time of acknowledged messages (send → server ack), one connection; or of a plain WebSocket echo (--raw-echo)."
    )

    enum Client: String, ExpressibleByArgument, CaseIterable {
        /// CourierClient's `sendAcknowledged`, awaited: what an application sees.
        case app
        /// Writes and acknowledgements on the client's event loop, no task hops: the client `--raw-echo` uses.
        case loop
    }

    @Option(help: "Messages to time.") var count = 20_000
    @Option(help: "Untimed messages first.") var warmup = 2_000
    @Option(help: "Payload bytes.") var payload = 64
    @Option(name: [.customLong("protocol")], help: "Protocol version 1 or 2.") var protocolVersion: UInt8 = 2
    @Option(help: "Measure a running server (ws://host:port/, or wss:// with the app client); default: start one in this process.") var url: String?
    @Option(help: "Token for --url.") var token: String?
    @Option(name: .customLong("tls-ca"), help: "With --url wss://…: PEM file of the CA (or self-signed certificate) to trust; default: the system's roots. Not with --client loop.")
    var tlsCA: String?
    @Option(help: "Event loop threads of the in-process server.") var serverThreads = 1
    @Option(name: .customLong("raw-echo"), help: "Measure a plain WebSocket binary echo server at this URL (ws://127.0.0.1:PORT/path) instead of Courier.")
    var rawEcho: String?
    @Option(help: "Courier client: app (CourierClient, awaited) or loop (on the event loop, as --raw-echo).") var client = Client.app
    @Option(help: "Messages in flight (1: ping-pong); above 1 also reports messages per second. --raw-echo and --client loop only.")
    var pipelined = 1
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard count > 0, warmup >= 0, payload >= 0, payload <= 1 << 20 else {
            throw ValidationError("--count must be positive, --warmup not negative and --payload at most 1 MiB")
        }
        guard pipelined > 0, pipelined <= 65_536 else { throw ValidationError("--pipelined must be 1...65536") }
        guard pipelined == 1 || rawEcho != nil || client == .loop else { throw ValidationError("--pipelined needs --raw-echo or --client loop") }
    }

    func run() async throws {
        if let rawEcho { return try await runRawEcho(rawEcho) }
        if client == .loop { return try await runLoop() }
        guard let version = ProtocolVersion(rawValue: protocolVersion) else { throw ValidationError("--protocol must be 1 or 2") }
        guard count > 0, payload >= 0, payload <= 1 << 20 else { throw ValidationError("--count must be positive and --payload at most 1 MiB") }
        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads, allowsTLS: true, tlsTrust: tlsCA)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = CourierClient(
            configuration: .init(host: target.host, port: target.port, protocolVersions: [version], authentication: .jwt(token: target.token), tls: target.tls),
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
                ("target", .string("courier")), ("client", .string(Client.app.rawValue)),
            ]).pretty)
        } else {
            print("rtt: \(payload) B acknowledged messages, protocol \(version), 1 connection, \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
            print("  " + report.line)
        }
    }

    /// `--raw-echo URL`: the event-loop ping-pong against a plain WebSocket echo server.
    func runRawEcho(_ url: String) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let outcome: Result<PingPongRun, any Error>
        do {
            let run = PingPongRun(warmup: warmup, count: count, pipelined: pipelined)
            outcome = .success(try await RawEchoClient.measure(
                url: url, run: run, payload: ByteBuffer(repeating: 0x61, count: payload), group: group, progress: progressLine()
            ))
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        report(try outcome.get(), target: "raw-echo", describe: "\(payload) B binary messages echoed by \(url)")
    }

    /// `--client loop`: the same ping-pong over the Courier protocol (reliable message → Acknowledge).
    func runLoop() async throws {
        guard protocolVersion == 2 else { throw ValidationError("--client loop speaks protocol 2 only") }
        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads, unlimitedRates: true)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let done = loop.makePromise(of: PingPongRun.self)
        let driver = CourierPingPong(
            run: PingPongRun(warmup: warmup, count: count, pipelined: pipelined), topic: "bench.rtt", payloadBytes: payload,
            done: done, progress: progressLine()
        )
        let outcome: Result<PingPongRun, any Error>
        do {
            let connection = try await RawCourierConnection.connect(
                host: target.host, port: target.port, token: target.token, subscribeTo: nil,
                received: NIOLockedValueBox(0), group: loop, driver: driver
            )
            try await loop.submit { driver.start(connection) }.get()
            outcome = .success(try await done.futureResult.get())
            connection.channel?.close(promise: nil)
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        await target.stop()
        report(try outcome.get(), target: "courier", describe: "\(payload) B acknowledged messages, protocol v2, loop client")
    }

    /// A progress callback for the event loop (nil with `--json`).
    func progressLine() -> (@Sendable (Int) -> Void)? {
        guard !json else { return nil }
        let progress = NIOLockedValueBox(Progress(total: count))
        return { done in progress.withLockedValue { $0.update(done) } }
    }

    func report(_ run: PingPongRun, target: String, describe: String) {
        if json {
            var fields: [(String, JSONValue)] = [
                ("scenario", .string("rtt")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(Int64(payload))), ("count", .number(Int64(run.report.count))), ("rtt_us", run.report.json),
                ("target", .string(target)), ("pipelined", .number(Int64(pipelined))),
            ]
            if target == "courier" { fields += [("protocol", .number(2)), ("client", .string(Client.loop.rawValue))] }
            if pipelined > 1 { fields.append(("messages_per_second", .number(Int64(run.messagesPerSecond)))) }
            print(JSONValue.object(fields).pretty)
        } else {
            print("rtt: \(describe), \(pipelined) in flight, 1 connection, \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
            print("  " + run.report.line)
            if pipelined > 1 { print("  \(Int(run.messagesPerSecond)) msgs/s") }
        }
    }
}
