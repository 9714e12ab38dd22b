import ArgumentParser
import CourierAuth
import CourierChaos
import CourierClient
import CourierInspect
import CourierSession
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench soak`: N clients exchange acknowledged messages through a `ChaosProxy`
/// in front of a `courier serve` child, for a while, optionally across a server
/// restart; then every acknowledged message is checked: delivered exactly once, in
/// order (issue "Adverse networks"; `docs/CHAOS.md`).
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Clients exchanging acknowledged messages through injected faults: lost, duplicated, out of order, recovery time.",
        discussion: """
        Starts `courier serve` as a child and a chaos proxy in this process; client i \
        subscribes to soak.i and publishes acknowledged messages to soak.(i+1) at --rate \
        per second, so every client sends and receives. Counts are over acknowledged \
        messages: lost = acknowledged by the server, never delivered. recovery_ms is from \
        a connection loss (the client's disconnected event) to the session resumed; losses \
        during the --restart-at restart are reported apart (restart_recovery_ms). \
        black_hole_detection_ms is from a black hole's start to the close that ended it \
        (a heartbeat's verdict; the limit is 2.5 heartbeat intervals plus the profile's \
        latency and jitter). Profile times (outages) count from the proxy's start, when \
        the clients begin to connect. After the exchange the faults stop and the bench \
        waits up to --settle seconds for the last messages.
        """
    )

    @Option(help: "Seconds of exchange.") var duration = 60
    @Option(help: "Clients.") var clients = 200
    @OptionGroup var faults: ChaosProfileOptions
    @Option(help: "Acknowledged messages per second per client.") var rate = 5
    @Option(help: "Payload bytes per message (at least the text \"client:number:\").") var payloadBytes = 64
    @Option(help: "Restart the server (drain + session snapshot) this many seconds into the exchange.") var restartAt: Int?
    @Option(help: "The server's heartbeat interval, milliseconds.") var heartbeatMs = 2_000
    @Option(help: "The server's drain hint: clients wait at least this many milliseconds.") var drainRetryAfterMs = 500
    @Option(help: "The server's drain hint: …plus a uniform share of this many milliseconds.") var drainJitterMs = 1_500
    @Option(help: "Seconds to wait after the exchange (faults off) for the last messages to arrive; above the reconnect cap (30 s).") var settle = 40
    @Option(help: "The clients' reconnect policy: the attempt count resets after a connection was Active this many milliseconds (default: the library's, 10000).")
    var reconnectStableMs: Int?
    @Option(help: "Loopback source addresses to spread the clients over (127.0.0.1 …).") var sourceAddresses = 16
    @Flag(help: "Print one JSON object (with a per-second timeline).") var json = false

    func validate() throws {
        guard duration > 0, clients > 1, rate > 0, settle > 0 else { throw ValidationError("--duration, --rate and --settle must be positive, --clients at least 2") }
        guard (16...65_536).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be 16...65536") }
        guard heartbeatMs >= 100 else { throw ValidationError("--heartbeat-ms must be at least 100 (black holes are found by heartbeats)") }
        if let restartAt { guard (1..<duration).contains(restartAt) else { throw ValidationError("--restart-at must be within the duration, 1...\(duration - 1)") } }
        guard (1...254).contains(sourceAddresses) else { throw ValidationError("--source-addresses must be 1...254") }
    }

    func run() async throws {
        let profile = try faults.resolve()
        let limit = FileLimit.raiseToHard()
        // Each client costs three descriptors here (client, proxy's two sides).
        let wanted = min(clients, max(2, (limit - 256) / 3))
        if wanted < clients { note("--clients \(clients) capped to \(wanted) by the file limit (\(limit) descriptors)\n") }
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("courier-soak-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let child = try await BenchServerProcess.start(threads: 1, arguments: [
            "--heartbeat-ms", String(heartbeatMs), "--session-snapshot", snapshot,
            "--drain-retry-after-ms", String(drainRetryAfterMs), "--drain-jitter-ms", String(drainJitterMs), "--drain-deadline-ms", "10000",
            "--connections-per-second", "1000000", "--connection-burst", "1000000", "--failed-handshakes-per-minute", "1000000",
        ])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let proxyGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let result: Result<SoakOutcome, any Error>
        do {
            let proxy = try await ChaosProxy.start(
                .init(targetHost: "127.0.0.1", targetPort: child.port, profile: profile, seed: faults.seed, connectTimeout: .seconds(2)),
                eventLoopGroup: proxyGroup
            )
            result = await Result(catching: { try await soak(child, proxy: proxy, profile: profile, clients: wanted, group: group) })
            await proxy.stop()
        } catch {
            result = .failure(error)
        }
        try? await group.shutdownGracefully()
        try? await proxyGroup.shutdownGracefully()
        let outcome = try result.get()
        json ? print(outcome.json.pretty) : print(outcome.table)
    }

    // MARK: The exchange

    func soak(_ first: BenchServerProcess, proxy: ChaosProxy, profile: ChaosProfile, clients count: Int, group: MultiThreadedEventLoopGroup) async throws -> SoakOutcome {
        let token = try await DevelopmentToken.mint(secret: first.secret, subject: "soak", publish: ["soak.>"], subscribe: ["soak.>"], lifetime: .seconds(86_400), now: Date())
        let restartWindow = NIOLockedValueBox<(ContinuousClock.Instant, ContinuousClock.Instant?)?>(nil)
        var connected: [CourierClient] = []
        var watchers: [Task<Void, Never>] = []
        var readers: [Task<Void, Never>] = []
        // The ledger's clock starts when the exchange does; it is made first so watchers can report.
        let ledgerBox = NIOLockedValueBox<SoakLedger?>(nil)
        var failed = 0
        for index in 0..<count {
            var configuration = CourierClient.Configuration(host: "127.0.0.1", port: proxy.port, authentication: .jwt(token: token))
            configuration.localAddress = "127.0.0.\(1 + index % sourceAddresses)"
            if let reconnectStableMs { configuration.reconnect.stablePeriod = .milliseconds(reconnectStableMs) }
            let client = CourierClient(configuration: configuration, eventLoopGroup: group, logger: Self.quietLogger, randomNumberGenerator: ChaosRandom(seed: faults.seed, stream: UInt64(index)))
            watchers.append(Task { await Self.watch(client, ledger: ledgerBox, restartWindow: restartWindow) })
            var attempts = 0
            while true {
                do {
                    try await client.connect()
                    _ = try await client.subscribe("soak.\(index)")
                    break
                } catch {
                    attempts += 1
                    guard attempts < 5 else { throw BenchError("client \(index) could not connect and subscribe through the proxy: \(error)") }
                }
            }
            connected.append(client)
            if index % 50 == 49 || index == count - 1 { progress("connecting: \(index + 1)/\(count), \(failed) retried") }
            failed += attempts
        }
        progress("connected: \(count) clients\n")

        let start = ContinuousClock.now
        let ledger = SoakLedger(clients: count, start: start)
        ledgerBox.withLockedValue { $0 = ledger }
        for (index, client) in connected.enumerated() {
            readers.append(Task { await Self.read(client, index: index, ledger: ledger) })
        }
        let end = start + .seconds(duration)
        let sendersDone = NIOLockedValueBox(0)
        let senders = connected.enumerated().map { index, client in
            Task {
                await send(client, index: index, clients: count, ledger: ledger, end: end)
                sendersDone.withLockedValue { $0 += 1 }
            }
        }

        // Once a second: progress, the proxy's faults of that second, and the restart.
        var server = first
        var faultSeconds: [SoakOutcome.Faults] = []
        var previous = proxy.report
        var restartedSecond: Int?
        var restartDuration: Duration?
        while ContinuousClock.now < end {
            let second = faultSeconds.count
            try await Task.sleep(until: start + .seconds(second + 1), clock: .continuous)
            let report = proxy.report
            faultSeconds.append(.init(previous: previous, now: report))
            previous = report
            if let restartAt, second + 1 == restartAt, restartedSecond == nil {
                let signalled = ContinuousClock.now
                restartWindow.withLockedValue { $0 = (signalled, nil) }
                progress("restarting the server (drain, snapshot, start)\n")
                let (next, _) = try await server.restart()
                server = next
                let listening = ContinuousClock.now
                restartWindow.withLockedValue { $0 = (signalled, listening) }
                restartedSecond = second + 1
                restartDuration = listening - signalled
            }
            let (sent, delivered, reconnects) = ledger.snapshot
            progress("\(second + 1)/\(duration) s  sent \(sent)  delivered \(delivered)  reconnects \(reconnects)  resets \(report.resets)  black holes \(report.blackHoles)  outages \(report.outages)  open \(report.connectionsOpen)   ")
        }
        proxy.stopFaults()
        progress("exchange over, faults off; waiting up to \(settle) s for the last messages\n")
        let settleEnd = ContinuousClock.now + .seconds(settle)
        while sendersDone.withLockedValue({ $0 }) < count, ContinuousClock.now < settleEnd {
            try await Task.sleep(for: .milliseconds(50))
        }
        while !ledger.caughtUp(), ContinuousClock.now < settleEnd { try await Task.sleep(for: .milliseconds(50)) }
        let totals = ledger.totals()
        let report = proxy.report
        for line in ledger.missing() { note(line + "\n") }
        progress("closing the clients\n")
        await withTaskGroup(of: Void.self) { tasks in
            for client in connected { tasks.addTask { await client.close() } }
        }
        progress("clients closed\n")
        for task in readers { task.cancel() }
        for watcher in watchers { await watcher.value }
        for sender in senders { sender.cancel() }
        progress("stopping the server\n")
        await server.stop()
        return SoakOutcome(
            settings: self, profile: profile, clients: count, totals: totals, report: report, faultSeconds: faultSeconds,
            restartSecond: restartedSecond, restartDuration: restartDuration
        )
    }

    /// Sends acknowledged messages at `rate` until `end`, each awaited (the next leaves
    /// once the server confirmed the previous one, or at its slot if later).
    func send(_ client: CourierClient, index: Int, clients: Int, ledger: SoakLedger, end: ContinuousClock.Instant) async {
        let interval = Duration.seconds(1) / rate
        var random = ChaosRandom(seed: faults.seed ^ 0x50A4, stream: UInt64(index))
        var slot = ledger.start + .microseconds(random.int(in: 0...(1_000_000 / rate)))
        let padding = String(repeating: "x", count: payloadBytes)
        var number = 0
        while ContinuousClock.now < end {
            let head = "\(index):\(number):"
            let text = head + padding.prefix(max(0, payloadBytes - head.utf8.count))
            do {
                try await client.sendAcknowledged(text, to: .topic("soak.\((index + 1) % clients)"))
                ledger.acknowledged(client: index, number: number)
            } catch {
                // Closed: the exchange is over. Otherwise not acknowledged (the session
                // was lost): the event watcher counted it.
                if error == .closed || error == .gaveUp { return }
            }
            number += 1
            slot += interval
            let now = ContinuousClock.now
            if slot > now { try? await Task.sleep(until: slot, clock: .continuous) } else { slot = now }
        }
    }

    static func read(_ client: CourierClient, index: Int, ledger: SoakLedger) async {
        for await message in client.messages {
            let text = String(buffer: message.payload)
            let fields = text.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2, let number = Int(fields[1]) else { continue }
            ledger.received(client: index, number: number)
        }
    }

    /// Connection losses and resumes: recovery time from the first disconnect to the
    /// resumed connection.
    static func watch(
        _ client: CourierClient, ledger: NIOLockedValueBox<SoakLedger?>,
        restartWindow: NIOLockedValueBox<(ContinuousClock.Instant, ContinuousClock.Instant?)?>
    ) async {
        var lostAt: ContinuousClock.Instant?
        var restart = false
        for await event in client.events {
            let now = ContinuousClock.now
            switch event {
            case .disconnected(_, let code):
                guard lostAt == nil else { continue }
                lostAt = now
                let window = restartWindow.withLockedValue { $0 }
                let inWindow = window.map { now >= $0.0 && now <= ($0.1 ?? now) } ?? false
                restart = code == 1012 || code == 1013 || inWindow
            case .connected(_, let resumed):
                if resumed, let lostAt, let ledger = ledger.withLockedValue({ $0 }) { ledger.resumed(after: now - lostAt, restart: restart) }
                lostAt = nil
            case .resumeFailed:
                ledger.withLockedValue { $0 }?.resumeFailed()
            case .gaveUp:
                ledger.withLockedValue { $0 }?.gaveUp()
            case .closed:
                return
            default:
                break
            }
        }
    }

    /// Warnings and worse only (each reset would log).
    static let quietLogger: Logger = {
        var logger = Logger(label: "courier.bench.soak")
        logger.logLevel = .error
        return logger
    }()

    func progress(_ line: String) {
        if !json { FileHandle.standardError.write(Data("\r  \(line)".utf8)) }
    }

    func note(_ line: String) {
        FileHandle.standardError.write(Data("  \(line)".utf8))
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
