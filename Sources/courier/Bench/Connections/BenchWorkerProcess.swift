import Foundation
import NIOConcurrencyHelpers

/// A `courier bench connections-worker` child process, seen from the bench: sends it
/// commands on its stdin and reads its `WorkerReport` lines from its stdout.
final class BenchWorkerProcess: @unchecked Sendable {
    let process: Process
    let index: Int
    private let input: Pipe
    private var reports: AsyncStream<WorkerReport>.AsyncIterator
    /// The last report received (progress included).
    private(set) var last: WorkerReport?

    /// Starts the worker for sessions `first ..< first + count` of the benchmark.
    init(index: Int, first: Int, count: Int, ports: [Int], token: String, sourceAddresses: Int, wave: Int) throws {
        self.index = index
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = [
            "bench", "connections-worker", "--ports", ports.map(String.init).joined(separator: ","), "--first", String(first), "--count", String(count),
            "--source-addresses", String(sourceAddresses), "--wave", String(wave),
        ]
        var environment = ProcessInfo.processInfo.environment
        environment[ConnectionsWorker.tokenVariable] = token
        process.environment = environment
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        self.process = process
        self.input = input
        let (stream, continuation) = AsyncStream.makeStream(of: WorkerReport.self)
        self.reports = stream.makeAsyncIterator()
        // A thread drains its output (so it never blocks on a full pipe) and decodes each line.
        Thread.detachNewThread {
            let handle = output.fileHandleForReading
            var pending = Data()
            let decoder = JSONDecoder()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    if let report = try? decoder.decode(WorkerReport.self, from: line) { continuation.yield(report) }
                }
            }
            continuation.finish()
        }
    }

    /// The next report; nil when the worker has exited.
    func next() async -> WorkerReport? {
        let report = await reports.next()
        if let report { last = report }
        return report
    }

    /// Waits for the report that says all of its sessions were tried; `progress` sees the ones before.
    func connected(progress: (WorkerReport) -> Void) async throws -> WorkerReport {
        while let report = await next() {
            if report.phase == .connected { return report }
            progress(report)
        }
        throw BenchError("connections worker \(index) exited before connecting (exit status \(process.isRunning ? 0 : process.terminationStatus))")
    }

    /// Asks for a report now.
    func report() async throws -> WorkerReport {
        try send("report")
        while let report = await next() {
            if report.phase == .report { return report }
        }
        throw BenchError("connections worker \(index) exited instead of reporting")
    }

    /// Closes its sessions and waits (up to 10 s) for it to exit.
    func close() async {
        try? send("close")
        try? input.fileHandleForWriting.close()
        for _ in 0..<1_000 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func send(_ command: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
    }
}
