import ArgumentParser
import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench connections`: N concurrent authenticated sessions held open while
/// the server's heartbeats flow; the server's resident memory per connection and CPU
/// (issue: "10,000 concurrent authenticated sessions with heartbeats: RSS ≤ 10 KB per
/// connection above the idle server", then 100,000).
///
/// One process here holds at most its file limit of sockets (20,000 in this sandbox,
/// not raisable), so past that the sessions are spread over `--servers` server
/// processes and client worker processes (`ConnectionsFleet`).
struct ConnectionsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "N concurrent authenticated sessions answering heartbeats: the server's memory per connection and CPU.",
        discussion: """
        Without --url the server is `courier serve` in a child process, with --heartbeat-ms \
        as its heartbeat interval, and its RSS (VmRSS) is read before connecting, once all \
        are connected and at the end of --duration; its CPU time (utime + stime) is read \
        over the hold. Connections are spread over --source-addresses loopback addresses \
        127.0.0.x. Each connection costs one file descriptor in a client process and one in \
        a server process. With --servers K > 1, or more --clients than --clients-per-process, \
        K `courier serve` children share the sessions round robin (same secret, each on its \
        own port) and client worker processes of at most --clients-per-process sessions each \
        open them; memory and CPU are then the sum over the K servers. Otherwise --clients \
        is capped by this process's file limit.
        """
    )

    @Option(help: "Concurrent sessions.") var clients = 10_000
    @Option(help: "Seconds to hold them open once all are connected.") var duration = 10
    @Option(help: "Heartbeat interval of the started server, in milliseconds (with --url: the server's own).") var heartbeatMs = 1_000
    @Option(help: "Loopback source addresses to spread the connections over (127.0.0.1 …).") var sourceAddresses = 16
    @Option(help: "Connection attempts in flight at once (split between worker processes).") var wave = 500
    @Option(help: "Measure a running server (ws://host:port/); its RSS is then not reported.") var url: String?
    @Option(help: "Token for --url.") var token: String?
    @Option(help: "Event loop threads of each server.") var serverThreads = 1
    @Option(help: "`courier serve` processes to spread the sessions over (not with --url).") var servers = 1
    @Option(help: "Most sessions one client worker process opens (each costs it a file descriptor).") var clientsPerProcess = 18_000
    @Option(help: "Serve with this `courier` executable instead of this one (e.g. an older build, to compare servers under the same load).")
    var serverExecutable: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard clients > 0, duration >= 0, heartbeatMs > 0, wave > 0 else {
            throw ValidationError("--clients, --heartbeat-ms and --wave must be positive, --duration not negative")
        }
        guard (1...254).contains(sourceAddresses) else { throw ValidationError("--source-addresses must be 1...254") }
        guard serverThreads > 0 else { throw ValidationError("--server-threads must be positive") }
        guard (1...64).contains(servers) else { throw ValidationError("--servers must be 1...64") }
        guard clientsPerProcess > 0 else { throw ValidationError("--clients-per-process must be positive") }
        guard url == nil || (servers == 1 && serverExecutable == nil) else {
            throw ValidationError("--servers and --server-executable start the bench's own servers: not with --url")
        }
        if let serverExecutable, !FileManager.default.isExecutableFile(atPath: serverExecutable) {
            throw ValidationError("--server-executable \(serverExecutable) is not an executable file")
        }
    }

    var inProcess: Bool { url == nil && ProcessInfo.processInfo.environment["COURIER_BENCH_IN_PROCESS"] != nil }

    /// The servers' flags: the heartbeat, and no per-address connection rate limit.
    var serverArguments: [String] {
        ["--heartbeat-ms", String(heartbeatMs), "--connections-per-second", "1000000", "--connection-burst", "1000000"]
    }

    func run() async throws {
        // Raised before any child starts, so that the children inherit the limit too.
        let limit = FileLimit.raiseToHard()
        if url == nil, !inProcess, servers > 1 || clients > min(clientsPerProcess, limit - 256) {
            let fleet = ConnectionsFleet(bench: self, fileLimit: limit)
            let result = try await fleet.run()
            let report = ConnectionsReport(bench: self, outcome: result, requested: clients, capped: nil)
            json ? report.printJSON() : report.printText()
            return
        }
        guard servers == 1 else { throw BenchError("--servers needs the bench's own child servers (not COURIER_BENCH_IN_PROCESS)") }
        let capacity = max(1, (limit - 256) / (inProcess ? 2 : 1))
        let wanted = min(clients, capacity)
        let capped = wanted < clients ? "--clients \(clients) capped to \(wanted) by the file limit (\(limit) descriptors)" : nil
        if let capped, !json { FileHandle.standardError.write(Data("  \(capped)\n".utf8)) }

        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads, serverArguments: serverArguments, serverExecutable: serverExecutable)
        let memory = target.child.map { ProcessMemory(pid: $0.process.processIdentifier) }
        let outcome: Result<ConnectionsOutcome, any Error>
        do {
            outcome = .success(try await measure(target, wanted: wanted, memory: memory))
        } catch {
            outcome = .failure(error)
        }
        await target.stop()
        let report = ConnectionsReport(bench: self, outcome: try outcome.get(), requested: clients, capped: capped)
        json ? report.printJSON() : report.printText()
    }

    func measure(_ target: BenchTarget, wanted: Int, memory: ProcessMemory?) async throws -> ConnectionsOutcome {
        var outcome = ConnectionsOutcome()
        // Let the server finish starting before its idle footprint is read.
        try await Task.sleep(for: .milliseconds(500))
        var server = ServerFigures(port: target.port)
        server.idle = memory?.residentBytes()
        outcome.servers = memory == nil ? [] : [server]
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
    func hold(_ target: BenchTarget, wanted: Int, memory: ProcessMemory?, group: MultiThreadedEventLoopGroup, outcome: ConnectionsOutcome) async throws -> ConnectionsOutcome {
        var outcome = outcome
        let heartbeats = NIOLockedValueBox(0)
        let received = NIOLockedValueBox(0)
        let dialer = SessionDialer(host: target.host, ports: [target.port], token: target.token, sourceAddresses: sourceAddresses, wave: wave)
        let clock = ContinuousClock()
        var lastProgress = clock.now
        let dialed = try await dialer.dial(first: 0, count: wanted, group: group, heartbeats: heartbeats, received: received) { progress in
            guard !json, clock.now - lastProgress > .milliseconds(250) || progress.connections.count + progress.failed == wanted else { return }
            lastProgress = clock.now
            FileHandle.standardError.write(Data("\r  connecting: \(progress.connections.count)/\(wanted) connected, \(progress.failed) failed".utf8))
        }
        let connections = dialed.connections
        outcome.connectSeconds = dialed.seconds
        outcome.connected = connections.count
        outcome.failed = dialed.failed
        outcome.firstFailure = dialed.firstFailure
        if !json { FileHandle.standardError.write(Data("\n".utf8)) }
        guard !connections.isEmpty else {
            throw BenchError("no connection could be made (\(outcome.failed) failed: \(outcome.firstFailure ?? "?"))")
        }
        outcome.heartbeatMillis = connections.first?.handshakeResponse.map { Int($0.heartbeatMillis) }
        outcome.openWhenConnected = connections.count { $0.channel?.isActive == true }
        if memory != nil { outcome.servers[0].connectedRSS = memory?.residentBytes() }

        // Hold: the server pings every connection each interval; they answer.
        let heartbeatsBefore = heartbeats.withLockedValue { $0 }
        let cpuBefore = memory?.cpuSeconds()
        let clientCPUBefore = ProcessMemory.current.cpuSeconds()
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
        if let cpuBefore, let cpuAfter = memory?.cpuSeconds() { outcome.servers[0].cpuSeconds = cpuAfter - cpuBefore }
        if let before = clientCPUBefore, let after = ProcessMemory.current.cpuSeconds() { outcome.clientCPUSeconds = after - before }
        outcome.openAtEnd = connections.count { $0.channel?.isActive == true }
        if memory != nil {
            outcome.servers[0].endRSS = memory?.residentBytes()
            outcome.servers[0].peakRSS = memory?.peakResidentBytes()
            outcome.servers[0].openAtEnd = outcome.openAtEnd
        }
        outcome.closedDuringHold = outcome.openWhenConnected - outcome.openAtEnd
        outcome.heartbeatsAnswered = heartbeats.withLockedValue { $0 }
        outcome.heartbeatsDuringHold = outcome.heartbeatsAnswered - heartbeatsBefore

        for connection in connections { connection.channel?.close(promise: nil) }
        try? await Task.sleep(for: .milliseconds(200))
        return outcome
    }
}
