import CourierAuth
import CourierClient
import CourierServer
import CourierSession
import Foundation
import Logging

/// The server a benchmark measures: `courier serve` started as a child process on a
/// free loopback port (default), one in this process (`COURIER_BENCH_IN_PROCESS=1`,
/// for profiling both sides together), or one already running (`--url`, `--token`).
struct BenchTarget {
    let host: String
    let port: Int
    let token: String
    var server: CourierServer?
    var child: BenchServerProcess?
    /// Set for `--url wss://…` (only benches that connect with `CourierClient` allow it).
    var tls: CourierClient.TLS?

    /// - Parameters:
    ///   - forFanout: no topic history (deliveries stay unreliable, so subscribers
    ///     need not acknowledge) and no per-address connection limit (one address, many subscribers).
    ///   - serverArguments: more `courier serve` flags (child process only).
    ///   - unlimitedRates: no per-connection message and byte rate limits (§18), for
    ///     scenarios that publish faster than the default 20,000 messages/s.
    ///   - countMallocs: count the child's mallocs (`mallocCount()`), when the
    ///     CourierMallocCounter library is built beside this executable.
    ///   - tlsTrust: with a `wss://` URL: a PEM file of trust roots (nil: the system's);
    ///     nil `tlsTrust` and `allowsTLS` false refuse `wss://`.
    ///   - serverTLS: serve `wss://` with this certificate and key (child process only);
    ///     the client then trusts `tlsTrust`, or the certificate itself (self-signed).
    static func make(
        url: String?, token: String?, serverThreads: Int, forFanout: Bool = false, unlimitedRates: Bool = false, countMallocs: Bool = false,
        serverArguments: [String] = [], allowsTLS: Bool = false, tlsTrust: String? = nil, serverTLS: (certificate: String, key: String)? = nil,
        serverExecutable: String? = nil
    ) async throws -> BenchTarget {
        guard serverTLS == nil || (url == nil && allowsTLS) else { throw BenchError("--tls-cert and --tls-key start the bench's own server: not with --url") }
        if let url {
            guard let token else { throw BenchError("--url needs --token") }
            guard let parsed = URLComponents(string: url), parsed.scheme == "ws" || parsed.scheme == "wss", let host = parsed.host else {
                throw BenchError("--url must look like ws://127.0.0.1:8080/ or wss://host:port/")
            }
            let secure = parsed.scheme == "wss"
            guard !secure || allowsTLS else {
                throw BenchError("this measurement speaks ws:// only; wss:// works with `courier bench rtt --url wss://… [--tls-ca FILE]`")
            }
            guard let port = parsed.port ?? (secure ? 443 : nil) else { throw BenchError("--url needs a port: ws://127.0.0.1:8080/") }
            let tls = secure ? CourierClient.TLS(trustRoots: tlsTrust.map { .pemFile($0) } ?? .system) : nil
            return BenchTarget(host: host, port: port, token: token, server: nil, tls: tls)
        }
        if ProcessInfo.processInfo.environment["COURIER_BENCH_IN_PROCESS"] == nil {
            var arguments = serverArguments
            if let serverTLS { arguments += ["--tls-cert", serverTLS.certificate, "--tls-key", serverTLS.key] }
            if forFanout {
                arguments += ["--max-subscriptions", "16", "--history-messages", "0", "--connections-per-second", "1000000", "--connection-burst", "1000000", "--failed-handshakes-per-minute", "1000"]
            }
            if unlimitedRates {
                arguments += ["--messages-per-second", "1000000000", "--bytes-per-second", "1000000000000"]
            }
            let child = try await BenchServerProcess.start(threads: serverThreads, arguments: arguments, countMallocs: countMallocs, executable: serverExecutable)
            let token = try await DevelopmentToken.mint(secret: child.secret, subject: "bench", publish: [">"], subscribe: [">"], lifetime: .seconds(3_600), now: Date())
            let tls = serverTLS.map { CourierClient.TLS(trustRoots: .pemFile(tlsTrust ?? $0.certificate)) }
            return BenchTarget(host: "127.0.0.1", port: child.port, token: token, server: nil, child: child, tls: tls)
        }
        guard serverTLS == nil else { throw BenchError("--tls-cert needs the server in a child process (not COURIER_BENCH_IN_PROCESS)") }
        let secret = DevelopmentToken.generateSecret()
        let auth = try AuthConfiguration(jwtKeys: [try JWTVerificationKey.hs256(secret: secret)])
        var logger = Logger(label: "courier.bench.server")
        // COURIER_BENCH_LOG=notice (or debug…) shows what the in-process server logs.
        logger.logLevel = ProcessInfo.processInfo.environment["COURIER_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, secret: secret, auth: auth, eventLoopThreads: serverThreads)
        if forFanout {
            configuration.history = nil
            configuration.addressLimits = .init(connectionsPerSecond: 1_000_000, connectionBurst: 1_000_000, failedHandshakesPerMinute: 1_000, maxAddresses: 1_000)
            configuration.maxSubscriptionsPerConnection = 16
        }
        if unlimitedRates {
            configuration.rateLimits = .init(messagesPerSecond: 1e12, bytesPerSecond: 1e15)
        }
        let server = try await CourierServer(configuration: configuration, logger: logger)
        try await server.start()
        let token = try await DevelopmentToken.mint(secret: secret, subject: "bench", publish: [">"], subscribe: [">"], lifetime: .seconds(3_600), now: Date())
        return BenchTarget(host: "127.0.0.1", port: server.port ?? 0, token: token, server: server)
    }

    func stop() async {
        await server?.shutdown(grace: .milliseconds(500))
        await child?.stop()
    }

    /// The server's malloc count so far; nil when it cannot be had (`mallocCountUnavailable` says why).
    func mallocCount() async -> UInt64? {
        await child?.mallocCount()
    }

    /// Why `mallocCount()` is nil, for the human output; nil when the server's mallocs are counted.
    var mallocCountUnavailable: String? {
        guard let child else {
            return server != nil
                ? "the server runs in this process (COURIER_BENCH_IN_PROCESS=1); only a `courier serve` child is counted"
                : "the server is not started by the bench (--url)"
        }
        switch child.mallocCounter {
        case .success: return nil
        case .failure(let reason): return reason.description
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
