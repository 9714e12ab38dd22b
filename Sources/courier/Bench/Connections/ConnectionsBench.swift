import ArgumentParser
import CourierInspect
import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench connections`: N concurrent authenticated sessions held open while
/// the server's heartbeats flow; the server's resident memory per connection (issue:
/// "10,000 concurrent authenticated sessions with heartbeats: RSS ≤ 10 KB per
/// connection above the idle server").
struct ConnectionsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "N concurrent authenticated sessions answering heartbeats: the server's memory per connection.",
        discussion: """
        Without --url the server is `courier serve` in a child process, with --heartbeat-ms \
        as its heartbeat interval, and its RSS (VmRSS) is read before connecting, once all \
        are connected and at the end of --duration. Connections are spread over \
        --source-addresses loopback addresses 127.0.0.x. Each connection costs this process \
        one file descriptor (two with COURIER_BENCH_IN_PROCESS=1): --clients is capped by \
        the file limit.
        """
    )

    @Option(help: "Concurrent sessions.") var clients = 10_000
    @Option(help: "Seconds to hold them open once all are connected.") var duration = 10
    @Option(help: "Heartbeat interval of the started server, in milliseconds (with --url: the server's own).") var heartbeatMs = 1_000
    @Option(help: "Loopback source addresses to spread the connections over (127.0.0.1 …).") var sourceAddresses = 16
    @Option(help: "Connection attempts in flight at once.") var wave = 500
    @Option(help: "Measure a running server (ws://host:port/); its RSS is then not reported.") var url: String?
    @Option(help: "Token for --url.") var token: String?
    @Option(help: "Event loop threads of the server.") var serverThreads = 1
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard clients > 0, duration >= 0, heartbeatMs > 0, wave > 0 else {
            throw ValidationError("--clients, --heartbeat-ms and --wave must be positive, --duration not negative")
        }
        guard (1...254).contains(sourceAddresses) else { throw ValidationError("--source-addresses must be 1...254") }
        guard serverThreads > 0 else { throw ValidationError("--server-threads must be positive") }
    }

    func run() async throws {
        let inProcess = url == nil && ProcessInfo.processInfo.environment["COURIER_BENCH_IN_PROCESS"] != nil
        // Raised before the child starts, so that it inherits the limit too.
        let limit = FileLimit.raiseToHard()
        let capacity = max(1, (limit - 256) / (inProcess ? 2 : 1))
        let wanted = min(clients, capacity)
        let capped = wanted < clients ? "--clients \(clients) capped to \(wanted) by the file limit (\(limit) descriptors)" : nil
        if let capped, !json { FileHandle.standardError.write(Data("  \(capped)\n".utf8)) }

        let target = try await BenchTarget.make(
            url: url, token: token, serverThreads: serverThreads,
            serverArguments: ["--heartbeat-ms", String(heartbeatMs), "--connections-per-second", "1000000", "--connection-burst", "1000000"]
        )
        let memory = target.child.map { ProcessMemory(pid: $0.process.processIdentifier) }
        let outcome: Result<Outcome, any Error>
        do {
            outcome = .success(try await measure(target, wanted: wanted, memory: memory))
        } catch {
            outcome = .failure(error)
        }
        await target.stop()
        let result = try outcome.get()
        json ? printJSON(result, requested: clients, capped: capped) : printText(result, requested: clients, capped: capped)
    }

    struct Outcome {
        var connected = 0
        var failed = 0
        var firstFailure: String?
        var connectSeconds = 0.0
        var heartbeatMillis: Int?
        var heartbeatsAnswered = 0
        var heartbeatsDuringHold = 0
        /// Open when the "all connected" RSS was read (the server may close some sooner, e.g. for heartbeat timeout while others connect).
        var openWhenConnected = 0
        var closedDuringHold = 0
        var openAtEnd = 0
        var holdSeconds = 0.0
        /// VmRSS of the server: idle, all connected, end of the hold; and its peak (VmHWM).
        var idle: Int?
        var connectedRSS: Int?
        var endRSS: Int?
        var peakRSS: Int?
        /// The server's CPU time during the hold over its wall time (100 = one core busy).
        var serverCPUPercent: Double?

        /// (RSS − idle RSS) / connections open at the end of the hold (after heartbeats ran).
        var bytesPerConnection: Int? { perConnection(endRSS, open: openAtEnd) }
        var bytesPerConnectionAfterConnect: Int? { perConnection(connectedRSS, open: openWhenConnected) }

        /// Divided by the sessions open when the RSS was read: a session the server
        /// closed (heartbeat timeout under load) no longer costs it memory.
        func perConnection(_ rss: Int?, open: Int) -> Int? {
            guard let rss, let idle, open > 0 else { return nil }
            return (rss - idle) / open
        }
    }

    func measure(_ target: BenchTarget, wanted: Int, memory: ProcessMemory?) async throws -> Outcome {
        var outcome = Outcome()
        // Let the server finish starting before its idle footprint is read.
        try await Task.sleep(for: .milliseconds(500))
        outcome.idle = memory?.residentBytes()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let outcome = try await hold(target, wanted: wanted, memory: memory, group: group, outcome: outcome)
            try? await group.shutdownGracefully()
            return outcome
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Connects `wanted` sessions in waves, holds them for `duration`, closes them.
    func hold(_ target: BenchTarget, wanted: Int, memory: ProcessMemory?, group: MultiThreadedEventLoopGroup, outcome: Outcome) async throws -> Outcome {
        var outcome = outcome
        let heartbeats = NIOLockedValueBox(0)
        let received = NIOLockedValueBox(0)
        let sources = try (1...sourceAddresses).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
        var connections: [RawCourierConnection] = []
        connections.reserveCapacity(wanted)
        let clock = ContinuousClock()
        let started = clock.now
        var lastProgress = started
        var attempted = 0
        while attempted < wanted {
            let count = min(wave, wanted - attempted)
            let first = attempted
            attempted += count
            await withTaskGroup(of: Result<RawCourierConnection, any Error>.self) { tasks in
                for index in first..<(first + count) {
                    let source = sources[index % sources.count]
                    tasks.addTask {
                        do {
                            return .success(try await RawCourierConnection.connect(
                                host: target.host, port: target.port, token: target.token, subscribeTo: nil, received: received, group: group,
                                heartbeats: heartbeats, source: source
                            ))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                for await result in tasks {
                    switch result {
                    case .success(let connection): connections.append(connection)
                    case .failure(let error):
                        outcome.failed += 1
                        if outcome.firstFailure == nil { outcome.firstFailure = "\(error)" }
                    }
                }
            }
            if !json, clock.now - lastProgress > .milliseconds(250) || attempted == wanted {
                lastProgress = clock.now
                FileHandle.standardError.write(Data("\r  connecting: \(connections.count)/\(wanted) connected, \(outcome.failed) failed".utf8))
            }
        }
        outcome.connectSeconds = (clock.now - started).seconds
        outcome.connected = connections.count
        if !json { FileHandle.standardError.write(Data("\n".utf8)) }
        guard !connections.isEmpty else {
            throw BenchError("no connection could be made (\(outcome.failed) failed: \(outcome.firstFailure ?? "?"))")
        }
        outcome.heartbeatMillis = connections.first?.handshakeResponse.map { Int($0.heartbeatMillis) }
        outcome.openWhenConnected = connections.count { $0.channel?.isActive == true }
        outcome.connectedRSS = memory?.residentBytes()

        // Hold: the server pings every connection each interval; they answer.
        let heartbeatsBefore = heartbeats.withLockedValue { $0 }
        let cpuBefore = memory?.cpuSeconds()
        let holdStarted = clock.now
        while clock.now - holdStarted < .seconds(duration) {
            try await Task.sleep(for: .milliseconds(250))
            if !json {
                let elapsed = min(Double(duration), (clock.now - holdStarted).seconds)
                let line = String(format: "\r  holding: %.1f/%d s, %d open, %d heartbeats answered", elapsed, duration,
                                  connections.count { $0.channel?.isActive == true }, heartbeats.withLockedValue { $0 })
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        if !json { FileHandle.standardError.write(Data("\n".utf8)) }
        outcome.holdSeconds = (clock.now - holdStarted).seconds
        if let cpuBefore, let cpuAfter = memory?.cpuSeconds(), outcome.holdSeconds > 0 {
            outcome.serverCPUPercent = 100 * (cpuAfter - cpuBefore) / outcome.holdSeconds
        }
        outcome.endRSS = memory?.residentBytes()
        outcome.peakRSS = memory?.peakResidentBytes()
        outcome.openAtEnd = connections.count { $0.channel?.isActive == true }
        outcome.closedDuringHold = outcome.openWhenConnected - outcome.openAtEnd
        outcome.heartbeatsAnswered = heartbeats.withLockedValue { $0 }
        outcome.heartbeatsDuringHold = outcome.heartbeatsAnswered - heartbeatsBefore

        for connection in connections { connection.channel?.close(promise: nil) }
        try? await Task.sleep(for: .milliseconds(200))
        return outcome
    }

    func printJSON(_ result: Outcome, requested: Int, capped: String?) {
        func number(_ value: Int?) -> JSONValue { value.map { .number(Int64($0)) } ?? .null }
        print(JSONValue.object([
            ("scenario", .string("connections")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("payload_bytes", .number(0)), ("connections", .number(Int64(result.connected))),
            ("rss_bytes_per_connection", number(result.bytesPerConnection)),
            ("rss_bytes_per_connection_after_connect", number(result.bytesPerConnectionAfterConnect)),
            ("requested_clients", .number(Int64(requested))), ("capped_by_file_limit", .bool(capped != nil)),
            ("failed_connections", .number(Int64(result.failed))),
            ("connect_seconds", .decimal(String(format: "%.3f", result.connectSeconds))),
            ("source_addresses", .number(Int64(min(sourceAddresses, max(1, result.connected + result.failed))))),
            ("heartbeat_ms", number(result.heartbeatMillis)), ("duration_seconds", .decimal(String(format: "%.3f", result.holdSeconds))),
            ("heartbeats_answered", .number(Int64(result.heartbeatsAnswered))),
            ("heartbeats_answered_during_hold", .number(Int64(result.heartbeatsDuringHold))),
            ("open_when_connected", .number(Int64(result.openWhenConnected))), ("closed_during_hold", .number(Int64(result.closedDuringHold))), ("open_at_end", .number(Int64(result.openAtEnd))),
            ("rss_idle_bytes", number(result.idle)), ("rss_connected_bytes", number(result.connectedRSS)),
            ("rss_end_bytes", number(result.endRSS)), ("rss_peak_bytes", number(result.peakRSS)),
            ("server_cpu_percent_during_hold", result.serverCPUPercent.map { .decimal(String(format: "%.1f", $0)) } ?? .null),
            ("server_threads", url == nil ? .number(Int64(serverThreads)) : .null),
        ]).pretty)
    }

    func printText(_ result: Outcome, requested: Int, capped: String?) {
        func mib(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "unavailable" }
        func perConnection(_ bytes: Int?) -> String { bytes.map { String(format: "%d B (%.2f KiB)", $0, Double($0) / 1_024) } ?? "unavailable" }
        let heartbeat = result.heartbeatMillis.map { "\($0) ms" } ?? "?"
        print("connections: \(result.connected) authenticated sessions (\(result.failed) failed to connect) over \(min(sourceAddresses, requested)) source addresses, heartbeat \(heartbeat), \(BuildInfo.mode) build, \(BuildInfo.cores) cores"
              + (url == nil ? ", server threads \(serverThreads)" : ", server \(url ?? "")"))
        if let capped { print("  \(capped)") }
        if let failure = result.firstFailure { print("  first connection failure: \(failure)") }
        if result.openAtEnd < result.connected {
            print("  warning: the server closed \(result.connected - result.openAtEnd) sessions (heartbeat timeout: this process could not answer in time?); the RSS per connection is divided by the \(result.openAtEnd) open at the end")
        }
        let rows: [(String, String)] = [
            ("connect time", String(format: "%.3f s (%.0f connections/s)", result.connectSeconds, Double(result.connected + result.failed) / max(result.connectSeconds, 1e-9))),
            ("held", String(format: "%.1f s", result.holdSeconds)),
            ("heartbeats answered", "\(result.heartbeatsAnswered) (\(result.heartbeatsDuringHold) during the hold)"),
            ("open when all connected", "\(result.openWhenConnected)/\(result.connected)"),
            ("closed during the hold", "\(result.closedDuringHold)"),
            ("open at the end", "\(result.openAtEnd)/\(result.connected)"),
            ("server CPU during the hold", result.serverCPUPercent.map { String(format: "%.1f %% of one core", $0) } ?? "unavailable"),
            ("server RSS idle", mib(result.idle)),
            ("server RSS all connected", mib(result.connectedRSS)),
            ("server RSS end of hold", mib(result.endRSS)),
            ("server RSS peak (VmHWM)", mib(result.peakRSS)),
            ("RSS per connection, connected", perConnection(result.bytesPerConnectionAfterConnect)),
            ("RSS per connection, end of hold", perConnection(result.bytesPerConnection)),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
    }
}

/// Resident memory of a process, from /proc/PID/status (Linux).
struct ProcessMemory {
    let pid: Int32

    func residentBytes() -> Int? { field("VmRSS:") }
    func peakResidentBytes() -> Int? { field("VmHWM:") }

    /// User + system CPU time, from /proc/PID/stat (fields 14 and 15, in clock ticks).
    func cpuSeconds() -> Double? {
        guard let text = read("/proc/\(pid)/stat"), let end = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 is state; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A "Name:\t   1234 kB" line, in bytes.
    private func field(_ name: String) -> Int? {
        guard let text = read("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1_024 }
        }
        return nil
    }

    /// A /proc file (they report size 0: read until end of file, not by size).
    private func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum FileLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in effect.
    static func raiseToHard() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
