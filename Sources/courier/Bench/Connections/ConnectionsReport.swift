import CourierInspect
import Foundation

/// One server process of a `courier bench connections` run: its VmRSS idle, once all
/// sessions are connected and at the end of the hold, its peak (VmHWM), and its CPU
/// time (utime + stime) over the hold.
struct ServerFigures {
    var port: Int
    var idle: Int?
    var connectedRSS: Int?
    var endRSS: Int?
    var peakRSS: Int?
    var cpuSeconds: Double?
    /// Sessions open on it at the end of the hold.
    var openAtEnd = 0
}

/// What `courier bench connections` measured, over all its processes.
struct ConnectionsOutcome {
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
    /// The server processes measured (none with --url).
    var servers: [ServerFigures] = []
    /// Processes holding the client sessions (1: the bench itself).
    var clientProcesses = 1
    /// CPU time of the client processes over the hold.
    var clientCPUSeconds: Double?

    /// A sum over the servers, nil unless every server has the figure.
    func total(_ figure: (ServerFigures) -> Int?) -> Int? {
        guard !servers.isEmpty else { return nil }
        var sum = 0
        for server in servers {
            guard let value = figure(server) else { return nil }
            sum += value
        }
        return sum
    }

    var idle: Int? { total(\.idle) }
    var connectedRSS: Int? { total(\.connectedRSS) }
    var endRSS: Int? { total(\.endRSS) }
    /// The sum of the servers' peaks (each reached at its own moment).
    var peakRSS: Int? { total(\.peakRSS) }

    /// CPU time over wall time of the hold, in % of one core (100 = one core busy), all servers together.
    var serverCPUPercent: Double? {
        guard !servers.isEmpty, holdSeconds > 0 else { return nil }
        var seconds = 0.0
        for server in servers {
            guard let cpu = server.cpuSeconds else { return nil }
            seconds += cpu
        }
        return 100 * seconds / holdSeconds
    }

    var clientCPUPercent: Double? { holdSeconds > 0 ? clientCPUSeconds.map { 100 * $0 / holdSeconds } : nil }

    /// (RSS − idle RSS) / connections open at the end of the hold (after heartbeats ran), over all servers.
    var bytesPerConnection: Int? { perConnection(endRSS, open: openAtEnd) }
    var bytesPerConnectionAfterConnect: Int? { perConnection(connectedRSS, open: openWhenConnected) }

    /// Divided by the sessions open when the RSS was read: a session the server
    /// closed (heartbeat timeout under load) no longer costs it memory.
    func perConnection(_ rss: Int?, open: Int) -> Int? {
        guard let rss, let idle, open > 0 else { return nil }
        return (rss - idle) / open
    }
}

/// Prints a `ConnectionsOutcome` as text or as one JSON object (keys in docs/BENCHMARKS.md).
struct ConnectionsReport {
    let bench: ConnectionsBench
    let outcome: ConnectionsOutcome
    let requested: Int
    let capped: String?

    func printJSON() {
        let result = outcome
        func number(_ value: Int?) -> JSONValue { value.map { .number(Int64($0)) } ?? .null }
        func percent(_ value: Double?) -> JSONValue { value.map { .decimal(String(format: "%.1f", $0)) } ?? .null }
        let perServer: [JSONValue] = result.servers.map { server in
            let perConnection = server.openAtEnd > 0 ? both(server.endRSS, server.idle).map { pair in (pair.0 - pair.1) / server.openAtEnd } : nil
            return .object([
                ("port", .number(Int64(server.port))), ("open_at_end", .number(Int64(server.openAtEnd))),
                ("rss_idle_bytes", number(server.idle)), ("rss_connected_bytes", number(server.connectedRSS)),
                ("rss_end_bytes", number(server.endRSS)), ("rss_peak_bytes", number(server.peakRSS)),
                ("rss_bytes_per_connection", number(perConnection)),
                ("cpu_percent", percent(result.holdSeconds > 0 ? server.cpuSeconds.map { 100 * $0 / result.holdSeconds } : nil)),
            ])
        }
        print(JSONValue.object([
            ("scenario", .string("connections")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("payload_bytes", .number(0)), ("connections", .number(Int64(result.connected))),
            ("rss_bytes_per_connection", number(result.bytesPerConnection)),
            ("rss_bytes_per_connection_after_connect", number(result.bytesPerConnectionAfterConnect)),
            ("requested_clients", .number(Int64(requested))), ("capped_by_file_limit", .bool(capped != nil)),
            ("failed_connections", .number(Int64(result.failed))),
            ("first_failure", result.firstFailure.map { .string($0) } ?? .null),
            ("connect_seconds", .decimal(String(format: "%.3f", result.connectSeconds))),
            ("source_addresses", .number(Int64(min(bench.sourceAddresses, max(1, result.connected + result.failed))))),
            ("heartbeat_ms", number(result.heartbeatMillis)), ("duration_seconds", .decimal(String(format: "%.3f", result.holdSeconds))),
            ("heartbeats_answered", .number(Int64(result.heartbeatsAnswered))),
            ("heartbeats_answered_during_hold", .number(Int64(result.heartbeatsDuringHold))),
            ("open_when_connected", .number(Int64(result.openWhenConnected))), ("closed_during_hold", .number(Int64(result.closedDuringHold))), ("open_at_end", .number(Int64(result.openAtEnd))),
            ("rss_idle_bytes", number(result.idle)), ("rss_connected_bytes", number(result.connectedRSS)),
            ("rss_end_bytes", number(result.endRSS)), ("rss_peak_bytes", number(result.peakRSS)),
            ("server_cpu_percent", percent(result.serverCPUPercent)),
            ("server_cpu_percent_during_hold", percent(result.serverCPUPercent)),
            ("client_cpu_percent", percent(result.clientCPUPercent)),
            ("server_threads", bench.url == nil ? .number(Int64(bench.serverThreads)) : .null),
            ("servers", .number(Int64(result.servers.count))), ("client_processes", .number(Int64(result.clientProcesses))),
            ("server_executable", bench.serverExecutable.map { .string($0) } ?? .null),
            ("per_server", .array(perServer)),
        ]).pretty)
    }

    func printText() {
        let result = outcome
        func mib(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "unavailable" }
        func perConnection(_ bytes: Int?) -> String { bytes.map { String(format: "%d B (%.2f KiB)", $0, Double($0) / 1_024) } ?? "unavailable" }
        let heartbeat = result.heartbeatMillis.map { "\($0) ms" } ?? "?"
        let serverText = bench.url.map { ", server \($0)" }
            ?? ", \(result.servers.count) server process\(result.servers.count == 1 ? "" : "es") of \(bench.serverThreads) thread\(bench.serverThreads == 1 ? "" : "s")"
        print("connections: \(result.connected) authenticated sessions (\(result.failed) failed to connect) over \(min(bench.sourceAddresses, requested)) source addresses, heartbeat \(heartbeat), \(BuildInfo.mode) build, \(BuildInfo.cores) cores"
              + serverText + ", \(result.clientProcesses) client process\(result.clientProcesses == 1 ? "" : "es")")
        if let executable = bench.serverExecutable { print("  server executable: \(executable)") }
        if let capped { print("  \(capped)") }
        if let failure = result.firstFailure { print("  first connection failure: \(failure)") }
        if result.openAtEnd < result.connected {
            print("  warning: the servers closed \(result.connected - result.openAtEnd) sessions (heartbeat timeout: the clients could not answer in time?); the RSS per connection is divided by the \(result.openAtEnd) open at the end")
        }
        let several = result.servers.count > 1 ? " (sum of \(result.servers.count) servers)" : ""
        let rows: [(String, String)] = [
            ("connect time", String(format: "%.3f s (%.0f connections/s)", result.connectSeconds, Double(result.connected + result.failed) / max(result.connectSeconds, 1e-9))),
            ("held", String(format: "%.1f s", result.holdSeconds)),
            ("heartbeats answered", "\(result.heartbeatsAnswered) (\(result.heartbeatsDuringHold) during the hold)"),
            ("open when all connected", "\(result.openWhenConnected)/\(result.connected)"),
            ("closed during the hold", "\(result.closedDuringHold)"),
            ("open at the end", "\(result.openAtEnd)/\(result.connected)"),
            ("server CPU during the hold" + several, result.serverCPUPercent.map { String(format: "%.1f %% of one core", $0) } ?? "unavailable"),
            ("client CPU during the hold", result.clientCPUPercent.map { String(format: "%.1f %% of one core", $0) } ?? "unavailable"),
            ("server RSS idle" + several, mib(result.idle)),
            ("server RSS all connected", mib(result.connectedRSS)),
            ("server RSS end of hold", mib(result.endRSS)),
            ("server RSS peak (VmHWM)", mib(result.peakRSS)),
            ("RSS per connection, connected", perConnection(result.bytesPerConnectionAfterConnect)),
            ("RSS per connection, end of hold", perConnection(result.bytesPerConnection)),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        guard result.servers.count > 1 else { return }
        for (index, server) in result.servers.enumerated() {
            let perConnection = server.openAtEnd > 0 ? both(server.endRSS, server.idle).map { pair in (pair.0 - pair.1) / server.openAtEnd } : nil
            let cpu = result.holdSeconds > 0 ? server.cpuSeconds.map { String(format: "%.1f %%", 100 * $0 / result.holdSeconds) } : nil
            print("  server \(index + 1) (port \(server.port)): \(server.openAtEnd) open, RSS \(mib(server.idle)) idle → \(mib(server.endRSS)), "
                  + "\(perConnection.map { "\($0) B" } ?? "?")/connection, CPU \(cpu ?? "?")")
        }
    }
}

/// Both values, or nil.
private func both(_ a: Int?, _ b: Int?) -> (Int, Int)? {
    guard let a, let b else { return nil }
    return (a, b)
}
