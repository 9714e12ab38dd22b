import ArgumentParser
import CourierAuth
import CourierClient
import CourierInspect
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench reconnect-storm`: N clients connected to `courier serve`, which is
/// restarted (SIGTERM: drain with Close 1012 and a retry hint, sessions saved with
/// `--session-snapshot`; then the same server started again). Reports how long until
/// every client was back and resumed, and how evenly their connection attempts spread
/// (issue: "10,000 clients back and resumed within 10 s of a server restart, no more
/// than 2× the mean in any 100 ms bucket").
struct ReconnectStormBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconnect-storm",
        abstract: "Restart the server under N connected clients: time until all resumed, spread of their return.",
        discussion: """
        Always starts its own `courier serve` child (a restart needs one). Clients are \
        CourierClient instances (the library's reconnect and resume logic), spread over \
        --source-addresses loopback addresses. Attempts are counted when a client dials \
        (its announced reconnect delay after the disconnect), in 100 ms buckets from the \
        first to the last; max_bucket_over_mean is the fullest bucket over the mean.
        """
    )

    @Option(help: "Connected clients.") var clients = 10_000
    @Option(help: "The server's drain hint: clients wait at least this many milliseconds.") var retryAfterMs = 2_000
    @Option(help: "The server's drain hint: …plus a uniform share of this many milliseconds.") var jitterMs = 5_000
    @Option(help: "Loopback source addresses to spread the clients over (127.0.0.1 …).") var sourceAddresses = 16
    @Option(help: "Connection attempts in flight at once while connecting.") var wave = 500
    @Option(help: "Seconds to wait for every client to be back before giving up.") var timeout = 60
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard clients > 0, wave > 0, timeout > 0 else { throw ValidationError("--clients, --wave and --timeout must be positive") }
        guard retryAfterMs >= 0, jitterMs >= 0 else { throw ValidationError("--retry-after-ms and --jitter-ms must not be negative") }
        guard (1...254).contains(sourceAddresses) else { throw ValidationError("--source-addresses must be 1...254") }
    }

    func run() async throws {
        let limit = FileLimit.raiseToHard()
        let wanted = min(clients, max(1, limit - 256))
        if wanted < clients, !json {
            FileHandle.standardError.write(Data("  --clients \(clients) capped to \(wanted) by the file limit (\(limit) descriptors)\n".utf8))
        }
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("courier-storm-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let child = try await BenchServerProcess.start(threads: 1, arguments: [
            "--session-snapshot", snapshot, "--drain-retry-after-ms", String(retryAfterMs), "--drain-jitter-ms", String(jitterMs),
            "--drain-deadline-ms", "20000", "--connections-per-second", "1000000", "--connection-burst", "1000000",
        ])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let result: Result<StormOutcome, any Error>
        do {
            result = .success(try await storm(child, wanted: wanted, group: group))
        } catch {
            result = .failure(error)
        }
        try? await group.shutdownGracefully()
        let outcome = try result.get()
        json ? printJSON(outcome) : printText(outcome)
    }

    // MARK: Measuring

    func storm(_ first: BenchServerProcess, wanted: Int, group: MultiThreadedEventLoopGroup) async throws -> StormOutcome {
        let token = try await mintToken(first.secret)
        let recorder = StormRecorder()
        var connected: [CourierClient] = []
        connected.reserveCapacity(wanted)
        var watchers: [Task<Void, Never>] = []
        var failed = 0
        var attempted = 0
        while attempted < wanted {
            let count = min(wave, wanted - attempted)
            let batch = (attempted..<(attempted + count)).map { index -> CourierClient in
                var configuration = CourierClient.Configuration(host: "127.0.0.1", port: first.port, authentication: .jwt(token: token))
                configuration.localAddress = "127.0.0.\(1 + index % sourceAddresses)"
                return CourierClient(configuration: configuration, eventLoopGroup: group, logger: Self.quietLogger)
            }
            attempted += count
            let outcomes = await withTaskGroup(of: Bool.self) { tasks in
                for client in batch { tasks.addTask { (try? await client.connect()) != nil } }
                return await tasks.reduce(into: [Bool]()) { $0.append($1) }
            }
            for (client, ok) in zip(batch, outcomes) {
                guard ok else {
                    failed += 1
                    await client.close()
                    continue
                }
                connected.append(client)
                watchers.append(Task { await recorder.watch(client) })
            }
            progress("connecting: \(connected.count)/\(wanted), \(failed) failed")
        }
        progress("connected: \(connected.count) clients; restarting the server\n")
        // Let every watcher subscribe to its client's events before the restart.
        try await Task.sleep(for: .milliseconds(500))

        let restartedAt = ContinuousClock.now
        recorder.start(at: restartedAt)
        let (second, exitedAt) = try await first.restart()
        let listeningAt = ContinuousClock.now
        defer { Task { await second.stop() } }
        let deadline = restartedAt + .seconds(timeout)
        while recorder.backCount < connected.count, ContinuousClock.now < deadline {
            progress("back: \(recorder.backCount)/\(connected.count) after \(milliseconds(ContinuousClock.now - restartedAt)) ms")
            try await Task.sleep(for: .milliseconds(100))
        }
        progress("back: \(recorder.backCount)/\(connected.count)\n")
        var outcome = recorder.outcome(clients: connected.count, failedToConnect: failed)
        outcome.drainMillis = milliseconds(exitedAt - restartedAt)
        outcome.restartMillis = milliseconds(listeningAt - restartedAt)
        await withTaskGroup(of: Void.self) { tasks in
            for client in connected { tasks.addTask { await client.close() } }
        }
        for watcher in watchers { watcher.cancel() }
        await second.stop()
        return outcome
    }

    /// The clients log warnings and worse only (each would say "the server closed the connection").
    static let quietLogger: Logger = {
        var logger = Logger(label: "courier.bench.storm")
        logger.logLevel = .warning
        return logger
    }()

    func mintToken(_ secret: [UInt8]) async throws -> String {
        try await DevelopmentToken.mint(secret: secret, subject: "storm", publish: [">"], subscribe: [">"], lifetime: .seconds(3_600), now: Date())
    }

    func progress(_ line: String) {
        if !json { FileHandle.standardError.write(Data("\r  \(line)".utf8)) }
    }

    // MARK: Reporting

    func printJSON(_ outcome: StormOutcome) {
        print(JSONValue.object([
            ("scenario", .string("reconnect-storm")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("payload_bytes", .number(0)), ("clients", .number(Int64(outcome.clients))),
            ("seconds_to_all_resumed", outcome.secondsToAllResumed.map { .decimal(String(format: "%.3f", $0)) } ?? .null),
            ("max_bucket_over_mean", .decimal(String(format: "%.2f", outcome.maxBucketOverMean))),
            ("resumed", .number(Int64(outcome.resumed))), ("resume_failed", .number(Int64(outcome.resumeFailed))),
            ("not_back", .number(Int64(outcome.clients - outcome.back))), ("failed_to_connect", .number(Int64(outcome.failedToConnect))),
            ("attempts", .number(Int64(outcome.attempts.count))),
            ("attempts_per_100ms", .array(outcome.buckets.map { .number(Int64($0)) })),
            ("first_attempt_ms", outcome.attempts.first.map { .number($0) } ?? .null),
            ("retry_after_ms", .number(Int64(retryAfterMs))), ("jitter_ms", .number(Int64(jitterMs))),
            ("drain_ms", .number(outcome.drainMillis)), ("restart_ms", .number(outcome.restartMillis)),
            ("source_addresses", .number(Int64(sourceAddresses))),
        ]).pretty)
    }

    func printText(_ outcome: StormOutcome) {
        print("reconnect-storm: \(outcome.clients) clients over \(sourceAddresses) source addresses, hint \(retryAfterMs) ms + \(jitterMs) ms jitter, \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
        if outcome.failedToConnect > 0 { print("  \(outcome.failedToConnect) clients failed to connect before the restart") }
        print("  server: drained and exited \(outcome.drainMillis) ms after SIGTERM, listening again after \(outcome.restartMillis) ms")
        let all = outcome.secondsToAllResumed.map { String(format: "%.2f s", $0) } ?? "not all back"
        print("  back: \(outcome.back)/\(outcome.clients) (\(outcome.resumed) resumed, \(outcome.resumeFailed) resume failed); all resumed \(all) after SIGTERM")
        print("  attempts: \(outcome.attempts.count) in \(outcome.buckets.count) buckets of 100 ms from \(outcome.attempts.first ?? 0) ms; fullest bucket \(String(format: "%.2f", outcome.maxBucketOverMean))× the mean")
        let peak = max(1, outcome.buckets.max() ?? 1)
        for (index, count) in outcome.buckets.enumerated() where index % max(1, outcome.buckets.count / 40) == 0 {
            let start = (outcome.attempts.first ?? 0) + Int64(index * 100)
            print(String(format: "  %6d ms %5d ", start, count) + String(repeating: "#", count: count * 50 / peak))
        }
    }

    func milliseconds(_ duration: Duration) -> Int64 { duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000 }
}

struct StormOutcome {
    var clients = 0
    var failedToConnect = 0
    var back = 0
    var resumed = 0
    var resumeFailed = 0
    var secondsToAllResumed: Double?
    /// Milliseconds after SIGTERM at which each reconnection attempt dialled, sorted.
    var attempts: [Int64] = []
    var buckets: [Int] = []
    var maxBucketOverMean = 0.0
    var drainMillis: Int64 = 0
    var restartMillis: Int64 = 0
}

/// What the clients' event streams say after the restart, gathered from every watcher.
final class StormRecorder: Sendable {
    private struct State {
        var start: ContinuousClock.Instant?
        var attempts: [Int64] = []
        var back = 0
        var resumed = 0
        var resumeFailed = 0
        var lastResumed: ContinuousClock.Instant?
    }

    private let state = NIOLockedValueBox(State())

    var backCount: Int { state.withLockedValue { $0.back } }

    func start(at instant: ContinuousClock.Instant) {
        state.withLockedValue { $0.start = instant }
    }

    func watch(_ client: CourierClient) async {
        var waitingForReturn = false
        for await event in client.events {
            let now = ContinuousClock.now
            let done: Bool = state.withLockedValue { state in
                guard let start = state.start else { return false }
                switch event {
                case .reconnecting(_, let delay):
                    let at = now + delay - start
                    state.attempts.append(at.components.seconds * 1_000 + at.components.attoseconds / 1_000_000_000_000_000)
                    waitingForReturn = true
                case .connected(_, let resumed) where waitingForReturn:
                    state.back += 1
                    if resumed {
                        state.resumed += 1
                        state.lastResumed = max(state.lastResumed ?? now, now)
                    }
                    return true
                case .resumeFailed:
                    state.resumeFailed += 1
                default:
                    break
                }
                return false
            }
            if done { return }
        }
    }

    func outcome(clients: Int, failedToConnect: Int) -> StormOutcome {
        state.withLockedValue { state in
            var outcome = StormOutcome(clients: clients, failedToConnect: failedToConnect, back: state.back, resumed: state.resumed, resumeFailed: state.resumeFailed)
            if state.resumed == clients, let start = state.start, let last = state.lastResumed {
                let elapsed = last - start
                outcome.secondsToAllResumed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            }
            outcome.attempts = state.attempts.sorted()
            if let first = outcome.attempts.first, let last = outcome.attempts.last {
                var buckets = Array(repeating: 0, count: Int((last - first) / 100) + 1)
                for attempt in outcome.attempts { buckets[Int((attempt - first) / 100)] += 1 }
                outcome.buckets = buckets
                let mean = Double(outcome.attempts.count) / Double(buckets.count)
                outcome.maxBucketOverMean = Double(buckets.max() ?? 0) / mean
            }
            return outcome
        }
    }
}
