import ArgumentParser
import CourierClient
import CourierInspect
import CourierWire
import Histogram
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// `courier bench rtt`: round-trip time of an acknowledged message on one connection:
/// from `sendAcknowledged` to the server's Acknowledge, as an application sees it
/// (`--client app`; `--client app-executor`: the same awaited from a task that prefers
/// the client's event loop as its executor), or from the write to the Acknowledge on the
/// client's event loop (`--client loop`). `--raw-echo URL` times the same ping-pong against a plain
/// WebSocket binary echo server, with no Courier protocol (see Benchmarks/Peers).
struct RTTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt",
        abstract: "Round-trip time of acknowledged messages (send → server ack), one connection; or of a plain WebSocket echo (--raw-echo)."
    )

    enum Client: String, ExpressibleByArgument, CaseIterable {
        /// CourierClient's `sendAcknowledged`, awaited: what an application sees.
        case app
        /// The same from a task under `withTaskExecutorPreference(client.taskExecutor)`:
        /// no thread hop per call.
        case appExecutor = "app-executor"
        /// Writes and acknowledgements on the client's event loop, no task hops: the client `--raw-echo` uses.
        case loop
    }

    @Option(help: "Messages to time.") var count = 20_000
    @Option(help: "Untimed messages first.") var warmup = 2_000
    @Option(help: "Payload bytes.") var payload = 64
    @Option(name: [.customLong("protocol")], help: "Protocol version 1 or 2.") var protocolVersion: UInt8 = 2
    @Option(help: "Measure a running server (ws://host:port/, or wss:// with the app client); default: start one in this process.") var url: String?
    @Option(help: "Token for --url.") var token: String?
    @Option(name: .customLong("tls-ca"), help: "With --url wss://… or --tls-cert: PEM file of the CA (or self-signed certificate) to trust; default: the system's roots (with --tls-cert: that certificate).")
    var tlsCA: String?
    @Option(name: .customLong("tls-cert"), help: "Measure over wss://: the bench's own server serves TLS with this PEM certificate (needs --tls-key; not with --url).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "Event loop threads of the in-process server.") var serverThreads = 1
    @Option(name: .customLong("raw-echo"), help: "Measure a plain WebSocket binary echo server at this URL (ws://127.0.0.1:PORT/path) instead of Courier.")
    var rawEcho: String?
    @Option(help: "Courier client: app (CourierClient, awaited), app-executor (awaited from a task preferring the client's event loop) or loop (on the event loop, as --raw-echo).")
    var client = Client.app
    @Option(help: "Messages in flight (1: ping-pong); above 1 also reports messages per second. --raw-echo and --client loop only.")
    var pipelined = 1
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "--client loop: also count the server's mallocs per round trip (its `courier serve` child runs with libCourierMallocCounter preloaded, which itself costs a little time per malloc).")
    var countAllocations = false

    func validate() throws {
        guard count > 0, warmup >= 0, payload >= 0, payload <= 1 << 20 else {
            throw ValidationError("--count must be positive, --warmup not negative and --payload at most 1 MiB")
        }
        guard pipelined > 0, pipelined <= 65_536 else { throw ValidationError("--pipelined must be 1...65536") }
        guard pipelined == 1 || rawEcho != nil || client == .loop else { throw ValidationError("--pipelined needs --raw-echo or --client loop") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard !countAllocations || (client == .loop && rawEcho == nil && url == nil) else {
            throw ValidationError("--count-allocations needs --client loop and the bench's own server (no --url, no --raw-echo)")
        }
        guard tlsCert == nil || (url == nil && rawEcho == nil) else { throw ValidationError("--tls-cert starts the bench's own server: not with --url or --raw-echo") }
    }

    /// `--tls-cert` and `--tls-key`, when given.
    var serverTLS: (certificate: String, key: String)? {
        guard let tlsCert, let tlsKey else { return nil }
        return (tlsCert, tlsKey)
    }

    func run() async throws {
        if let rawEcho { return try await runRawEcho(rawEcho) }
        if client == .loop { return try await runLoop() }
        guard let version = ProtocolVersion(rawValue: protocolVersion) else { throw ValidationError("--protocol must be 1 or 2") }
        guard count > 0, payload >= 0, payload <= 1 << 20 else { throw ValidationError("--count must be positive and --payload at most 1 MiB") }
        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads, allowsTLS: true, tlsTrust: tlsCA, serverTLS: serverTLS)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = CourierClient(
            configuration: .init(host: target.host, port: target.port, protocolVersions: [version], authentication: .jwt(token: target.token), tls: target.tls),
            eventLoopGroup: group
        )
        let clock = ContinuousClock()
        let connectStarted = clock.now
        try await client.connect()
        let connectTime = clock.now - connectStarted
        let body = ByteBuffer(repeating: 0x61, count: payload)
        let (count, warmup, json) = (self.count, self.warmup, self.json)
        let timed = { @Sendable () async throws -> LatencyReport in
            for _ in 0..<warmup { try await client.sendAcknowledged(body, to: .topic("bench.rtt")) }
            var report = LatencyReport()
            var progress = Progress(total: count)
            for index in 0..<count {
                let started = clock.now
                try await client.sendAcknowledged(body, to: .topic("bench.rtt"))
                report.record(clock.now - started)
                if !json { progress.update(index + 1) }
            }
            return report
        }
        let report = self.client == .appExecutor ? try await withTaskExecutorPreference(client.taskExecutor, operation: timed) : try await timed()
        await client.close()
        try? await group.shutdownGracefully()
        await target.stop()
        if json {
            print(JSONValue.object([
                ("scenario", .string("rtt")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(Int64(payload))), ("protocol", .number(Int64(version.rawValue))),
                ("count", .number(Int64(report.count))), ("rtt_us", report.json),
                ("target", .string("courier")), ("client", .string(self.client.rawValue)),
                ("tls", .bool(target.tls != nil)), ("connect_us", .number(connectTime.wholeMicroseconds)),
            ]).pretty)
        } else {
            print("rtt: \(payload) B acknowledged messages, protocol \(version)\(target.tls != nil ? " over TLS" : ""), 1 connection, client \(self.client.rawValue), \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
            print("  " + report.line)
            print("  connect (TCP\(target.tls != nil ? " + TLS" : "") + WebSocket upgrade + Courier handshake): \(connectTime.wholeMicroseconds) µs")
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
        let target = try await BenchTarget.make(
            url: url, token: token, serverThreads: serverThreads, unlimitedRates: true, countMallocs: countAllocations, allowsTLS: true, tlsTrust: tlsCA,
            serverTLS: serverTLS
        )
        let tls = try target.tls.map(Self.clientContext)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let done = loop.makePromise(of: PingPongRun.self)
        let driver = CourierPingPong(
            run: PingPongRun(warmup: warmup, count: count, pipelined: pipelined), topic: "bench.rtt", payloadBytes: payload,
            done: done, progress: progressLine()
        )
        let outcome: Result<PingPongRun, any Error>
        var connectTime = Duration.zero
        var allocations: ServerAllocations?
        do {
            let clock = ContinuousClock()
            let connectStarted = clock.now
            let connection: RawCourierConnection
            do {
                connection = try await RawCourierConnection.connect(
                    host: target.host, port: target.port, token: target.token, subscribeTo: nil,
                    received: NIOLockedValueBox(0), group: loop, driver: driver, tls: tls
                )
            } catch ChannelError.ioOnClosedChannel where tls != nil {
                throw BenchError("the wss:// connection closed before the Courier handshake: is the server's certificate trusted (--tls-ca) and does it name 127.0.0.1?")
            }
            connectTime = clock.now - connectStarted
            let mallocsBefore = countAllocations ? await target.mallocCount() : nil
            try await loop.submit { driver.start(connection) }.get()
            let run = try await done.futureResult.get()
            if countAllocations {
                allocations = ServerAllocations(
                    before: mallocsBefore, after: await target.mallocCount(), roundTrips: run.total, unavailable: target.mallocCountUnavailable
                )
            }
            outcome = .success(run)
            connection.channel?.close(promise: nil)
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        await target.stop()
        let secure = tls != nil
        report(
            try outcome.get(), target: "courier", describe: "\(payload) B acknowledged messages, protocol v2\(secure ? " over TLS" : ""), loop client",
            connect: (connectTime, secure), allocations: allocations
        )
    }

    /// The loop client's TLS context: full verification against the target's trust roots.
    static func clientContext(_ tls: CourierClient.TLS) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls.trustRoots {
        case .system: configuration.trustRoots = .default
        case .pemFile(let path): configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
        case .pemBytes(let bytes): configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(bytes))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// A progress callback for the event loop (nil with `--json`).
    func progressLine() -> (@Sendable (Int) -> Void)? {
        guard !json else { return nil }
        let progress = NIOLockedValueBox(Progress(total: count))
        return { done in progress.withLockedValue { $0.update(done) } }
    }

    /// - Parameter connect: how long connecting took (TCP, TLS if `tls`, WebSocket
    ///   upgrade, Courier handshake), for the Courier loop client.
    ///   - allocations: the server's mallocs over the run (`--count-allocations`).
    func report(_ run: PingPongRun, target: String, describe: String, connect: (time: Duration, tls: Bool)? = nil, allocations: ServerAllocations? = nil) {
        if json {
            var fields: [(String, JSONValue)] = [
                ("scenario", .string("rtt")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("payload_bytes", .number(Int64(payload))), ("count", .number(Int64(run.report.count))), ("rtt_us", run.report.json),
                ("rtt_ns", .object([
                    ("p50", .number(Int64(run.nanoseconds.valueAtPercentile(50)))), ("p99", .number(Int64(run.nanoseconds.valueAtPercentile(99)))),
                    ("p999", .number(Int64(run.nanoseconds.valueAtPercentile(99.9)))),
                ])),
                ("target", .string(target)), ("pipelined", .number(Int64(pipelined))),
            ]
            if target == "courier" { fields += [("protocol", .number(2)), ("client", .string(Client.loop.rawValue))] }
            if let connect { fields += [("tls", .bool(connect.tls)), ("connect_us", .number(connect.time.wholeMicroseconds))] }
            if pipelined > 1 { fields.append(("messages_per_second", .number(Int64(run.messagesPerSecond)))) }
            if let allocations { fields += allocations.json }
            print(JSONValue.object(fields).pretty)
        } else {
            print("rtt: \(describe), \(pipelined) in flight, 1 connection, \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
            print("  " + run.report.line)
            let p50 = run.nanoseconds.valueAtPercentile(50), p99 = run.nanoseconds.valueAtPercentile(99)
            print("  p50 \(Double(p50 / 10) / 100) µs  p99 \(Double(p99 / 10) / 100) µs (nanosecond histogram)")
            if pipelined > 1 { print("  \(Int(run.messagesPerSecond)) msgs/s") }
            if let connect { print("  connect (TCP\(connect.tls ? " + TLS" : "") + WebSocket upgrade + Courier handshake): \(connect.time.wholeMicroseconds) µs") }
            if let allocations { print("  " + allocations.line) }
        }
    }
}
