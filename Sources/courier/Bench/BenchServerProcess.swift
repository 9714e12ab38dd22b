import CourierAuth
import Foundation

/// `courier serve` as a child process on a free loopback port: what `courier bench`
/// measures when given no `--url`. The same executable (build it with `-c release`),
/// a fresh secret, and the server's own file-descriptor limit and cores, so the load
/// generator and the server do not share a process.
final class BenchServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let secret: [UInt8]
    /// The write end of the child's stdin (never written; closed when this process ends).
    let lifeline: Pipe
    let threads: Int
    let arguments: [String]

    private init(process: Process, port: Int, secret: [UInt8], lifeline: Pipe, threads: Int, arguments: [String]) {
        self.process = process
        self.port = port
        self.secret = secret
        self.lifeline = lifeline
        self.threads = threads
        self.arguments = arguments
    }

    /// Starts the server with `arguments` after `serve` and waits until it listens:
    /// on a free port with a fresh secret, or on `port` with `secret` (a restart).
    static func start(threads: Int, arguments: [String], port: Int = 0, secret: [UInt8]? = nil) async throws -> BenchServerProcess {
        let secret = secret ?? DevelopmentToken.generateSecret()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let logLevel = ProcessInfo.processInfo.environment["COURIER_BENCH_LOG"] ?? "error"
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--threads", String(threads), "--log-level", logLevel, "--stop-when-stdin-closes"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COURIER_SECRET"] = DevelopmentToken.hexString(secret)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        // Held open for the child's life: when this process ends, the child sees EOF and stops.
        let lifeline = Pipe()
        process.standardInput = lifeline
        try process.run()
        // The banner's first line names the port: "Courier is listening on ws://127.0.0.1:PORT/ …".
        let port = try await Task.detached { () throws -> Int in
            var text = ""
            let handle = output.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { throw BenchError("courier serve exited before listening (exit status \(process.isRunning ? 0 : process.terminationStatus))") }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: "ws://127.0.0.1:"), let end = text[range.upperBound...].firstIndex(of: "/"),
                   let port = Int(text[range.upperBound..<end]) {
                    // Keep draining its output so the child never blocks on a full pipe.
                    Thread.detachNewThread { while !handle.availableData.isEmpty {} }
                    return port
                }
            }
        }.value
        return BenchServerProcess(process: process, port: port, secret: secret, lifeline: lifeline, threads: threads, arguments: arguments)
    }

    /// SIGTERM (the server drains), waits for the process to exit, and starts the same
    /// server again: same port, secret and arguments. Returns the new process and when
    /// the old one had exited.
    func restart(exitDeadline: Duration = .seconds(30)) async throws -> (BenchServerProcess, exitedAt: ContinuousClock.Instant) {
        process.terminate()
        let deadline = ContinuousClock.now + exitDeadline
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw BenchError("courier serve did not exit within \(exitDeadline) of SIGTERM")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let exitedAt = ContinuousClock.now
        return (try await Self.start(threads: threads, arguments: arguments, port: port, secret: secret), exitedAt)
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it has not exited within 5 s.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<500 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
