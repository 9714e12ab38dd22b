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
    let countMallocs: Bool
    /// The `courier` executable serving (nil: this one).
    let executable: String?
    /// The child's malloc counter, or why it has none.
    let mallocCounter: Result<ServerMallocCounter, ServerMallocCounter.Unavailable>

    private init(
        process: Process, port: Int, secret: [UInt8], lifeline: Pipe, threads: Int, arguments: [String], countMallocs: Bool, executable: String?,
        mallocCounter: Result<ServerMallocCounter, ServerMallocCounter.Unavailable>
    ) {
        self.executable = executable
        self.process = process
        self.port = port
        self.secret = secret
        self.lifeline = lifeline
        self.threads = threads
        self.arguments = arguments
        self.countMallocs = countMallocs
        self.mallocCounter = mallocCounter
    }

    /// Starts the server with `arguments` after `serve` and waits until it listens:
    /// on a free port with a fresh secret, or on `port` with `secret` (a restart).
    /// - Parameter countMallocs: preload libCourierMallocCounter.so into the child when it
    ///   is beside this executable, so that `mallocCount()` can read the child's count.
    ///   Off for scenarios that report no allocations: counting costs an atomic add per malloc.
    /// - Parameter executable: another `courier` executable to serve (e.g. an older build,
    ///   to compare servers under the same load generator); nil: this one.
    static func start(
        threads: Int, arguments: [String], countMallocs: Bool = false, port: Int = 0, secret: [UInt8]? = nil, executable: String? = nil
    ) async throws -> BenchServerProcess {
        let secret = secret ?? DevelopmentToken.generateSecret()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? "/proc/self/exe").resolvingSymlinksInPath()
        let logLevel = ProcessInfo.processInfo.environment["COURIER_BENCH_LOG"] ?? "error"
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--threads", String(threads), "--log-level", logLevel, "--stop-when-stdin-closes"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COURIER_SECRET"] = DevelopmentToken.hexString(secret)
        var mallocCounter = Result<ServerMallocCounter, ServerMallocCounter.Unavailable>.failure(.init("not asked for"))
        if countMallocs {
            mallocCounter = ServerMallocCounter.library().map { library in
                let counter = ServerMallocCounter(countFile: ServerMallocCounter.makeCountFile())
                environment.merge(ServerMallocCounter.environment(library: library, countFile: counter.countFile)) { _, new in new }
                return counter
            }
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        // Held open for the child's life: when this process ends, the child sees EOF and stops.
        let lifeline = Pipe()
        process.standardInput = lifeline
        try process.run()
        // The banner's first line names the port: "Courier is listening on ws://127.0.0.1:PORT/ …" (wss:// with TLS).
        let port = try await Task.detached { () throws -> Int in
            var text = ""
            let handle = output.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { throw BenchError("courier serve exited before listening (exit status \(process.isRunning ? 0 : process.terminationStatus))") }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: "s://127.0.0.1:"), let end = text[range.upperBound...].firstIndex(of: "/"),
                   let port = Int(text[range.upperBound..<end]) {
                    // Keep draining its output so the child never blocks on a full pipe.
                    Thread.detachNewThread { while !handle.availableData.isEmpty {} }
                    return port
                }
            }
        }.value
        // The library writes the file before `main`, so by the banner it is there, or the
        // library was not loaded (and SIGUSR2 must not be sent: it would end the child).
        if case .success(let counter) = mallocCounter, !counter.isInstalled {
            mallocCounter = .failure(.init("courier serve did not load libCourierMallocCounter.so"))
        }
        return BenchServerProcess(
            process: process, port: port, secret: secret, lifeline: lifeline, threads: threads, arguments: arguments, countMallocs: countMallocs,
            executable: executable, mallocCounter: mallocCounter
        )
    }

    /// The child's malloc count so far (nil without a counter, or if it did not answer).
    func mallocCount() async -> UInt64? {
        guard case .success(let counter) = mallocCounter, process.isRunning else { return nil }
        return await counter.read(from: process.processIdentifier)
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
        return (try await Self.start(threads: threads, arguments: arguments, countMallocs: countMallocs, port: port, secret: secret, executable: executable), exitedAt)
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it has not exited within 5 s.
    func stop() async {
        if case .success(let counter) = mallocCounter { counter.remove() }
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<500 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
