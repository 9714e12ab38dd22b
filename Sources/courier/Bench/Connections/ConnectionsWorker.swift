import ArgumentParser
import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench connections-worker` (hidden): one client process of a
/// `courier bench connections` run that needs more sessions than one process has file
/// descriptors. It opens its share of the sessions, answers the servers' heartbeats,
/// and talks to the bench over its standard streams: one JSON `WorkerReport` per line
/// on stdout (progress while connecting, then `connected`), and on stdin the command
/// `report` (answered with one report) or `close` (or end of input: close and exit).
struct ConnectionsWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections-worker",
        abstract: "One client process of `courier bench connections` (started by it; not for direct use).",
        shouldDisplay: false
    )

    @Option(help: "Ports of the servers on 127.0.0.1, comma-separated.") var ports: String
    @Option(help: "Index of this process's first session in the whole benchmark.") var first: Int
    @Option(help: "Sessions this process opens.") var count: Int
    @Option(help: "Loopback source addresses.") var sourceAddresses = 16
    @Option(help: "Connection attempts in flight at once.") var wave = 500

    func validate() throws {
        guard first >= 0, count > 0, wave > 0 else { throw ValidationError("--first must not be negative, --count and --wave must be positive") }
        guard (1...254).contains(sourceAddresses) else { throw ValidationError("--source-addresses must be 1...254") }
        let parts = ports.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ Int($0).map { (1...65_535).contains($0) } ?? false }) else {
            throw ValidationError("--ports must be a comma-separated list of ports 1...65535, got '\(ports)'")
        }
        guard ProcessInfo.processInfo.environment[Self.tokenVariable].map({ !$0.isEmpty }) ?? false else {
            throw ValidationError("\(Self.tokenVariable) must hold the token")
        }
    }

    /// The token comes in the environment, not on the command line (`ps` shows that).
    static let tokenVariable = "COURIER_BENCH_TOKEN"

    var parsedPorts: [Int] { ports.split(separator: ",").compactMap { Int($0) } }

    func run() async throws {
        let limit = FileLimit.raiseToHard()
        guard count <= limit - 64 else { throw BenchError("--count \(count) does not fit this process's file limit (\(limit))") }
        let token = ProcessInfo.processInfo.environment[Self.tokenVariable] ?? ""
        let ports = parsedPorts
        let commands = Self.standardInputLines()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let heartbeats = NIOLockedValueBox(0)
        let received = NIOLockedValueBox(0)
        let dialer = SessionDialer(host: "127.0.0.1", ports: ports, token: token, sourceAddresses: sourceAddresses, wave: wave)
        var lastProgress = ContinuousClock.now
        let result = try await dialer.dial(first: first, count: count, group: group, heartbeats: heartbeats, received: received) { progress in
            guard ContinuousClock.now - lastProgress > .milliseconds(250) else { return }
            lastProgress = ContinuousClock.now
            Self.send(WorkerReport(phase: .progress, result: progress, servers: ports.count, heartbeats: heartbeats.withLockedValue { $0 }))
        }
        Self.send(WorkerReport(phase: .connected, result: result, servers: ports.count, heartbeats: heartbeats.withLockedValue { $0 }))
        for await command in commands {
            if command == "report" {
                Self.send(WorkerReport(phase: .report, result: result, servers: ports.count, heartbeats: heartbeats.withLockedValue { $0 }))
            } else if command == "close" {
                break
            }
        }
        for connection in result.connections { connection.channel?.close(promise: nil) }
        try? await Task.sleep(for: .milliseconds(200))
        try? await group.shutdownGracefully()
    }

    static func send(_ report: WorkerReport) {
        guard var line = try? JSONEncoder().encode(report) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(line)
    }

    /// Lines of standard input, read on a thread of their own; ends at end of input.
    static func standardInputLines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine() { continuation.yield(line.trimmingCharacters(in: .whitespaces)) }
            continuation.finish()
        }
        return stream
    }
}

/// What a worker tells the bench, one JSON object per line.
struct WorkerReport: Codable, Sendable {
    enum Phase: String, Codable, Sendable { case progress, connected, report }

    var phase: Phase
    var connected: Int
    var failed: Int
    var firstFailure: String?
    var connectSeconds: Double
    var heartbeatMillis: Int?
    /// Sessions open now, per server (in the order of `--ports`).
    var openByServer: [Int]
    /// Heartbeat pings answered so far.
    var heartbeats: Int

    var open: Int { openByServer.reduce(0, +) }

    init(phase: Phase, result: SessionDialer.Result, servers: Int, heartbeats: Int) {
        self.phase = phase
        self.connected = result.connections.count
        self.failed = result.failed
        self.firstFailure = result.firstFailure
        self.connectSeconds = result.seconds
        self.heartbeatMillis = result.connections.first?.handshakeResponse.map { Int($0.heartbeatMillis) }
        self.openByServer = phase == .progress ? [] : result.openByServer(servers: servers)
        self.heartbeats = heartbeats
    }
}
