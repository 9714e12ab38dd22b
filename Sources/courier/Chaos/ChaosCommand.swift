import ArgumentParser
import CourierChaos
import Foundation
import UnixSignals

/// `courier chaos`: a TCP proxy that injects network faults between Courier clients and
/// a server (`docs/CHAOS.md`).
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "A TCP proxy that injects latency, bandwidth limits, small chunks, resets, black holes and outages.",
        discussion: """
        Point clients at 127.0.0.1:--listen; every connection is forwarded to --target, \
        shaped and broken as the profile says. The same --seed gives the same faults. \
        A report line is printed every --report-every seconds and a final report on \
        SIGINT or SIGTERM.

        Examples:
          courier chaos --listen 9000 --target 127.0.0.1:8080 --profile flaky --seed 7
          courier chaos --listen 9000 --target 127.0.0.1:8080 --latency-ms 50 --jitter-ms 20 --max-chunk 64
          courier chaos --listen 9000 --target 127.0.0.1:8080 --profile lab.json --outage 30000:5000
        """
    )

    @Option(help: "The port to listen on.") var listen: Int
    @Option(help: "Where to forward: HOST:PORT.") var target: String
    @Option(help: "The address to listen on (loopback unless --allow-remote).") var listenHost = "127.0.0.1"
    @Flag(help: "Allow listening on, or forwarding to, an address that is not loopback.") var allowRemote = false
    @OptionGroup var faults: ChaosProfileOptions
    @Option(help: "Seconds between report lines (0: only the final report).") var reportEvery = 5
    @Flag(help: "Print the resolved profile as JSON and exit.") var printProfile = false

    func validate() throws {
        guard (0...65_535).contains(listen) else { throw ValidationError("--listen must be a port, 0...65535") }
        guard reportEvery >= 0 else { throw ValidationError("--report-every must not be negative") }
        let (host, port) = try Self.split(target)
        guard (1...65_535).contains(port) else { throw ValidationError("--target port must be 1...65535") }
        if !allowRemote {
            guard Self.isLoopback(listenHost) else { throw ValidationError("--listen-host \(listenHost) is not loopback: add --allow-remote to expose the proxy") }
            guard Self.isLoopback(host) else { throw ValidationError("--target \(host) is not loopback: add --allow-remote to break a remote path") }
        }
    }

    func run() async throws {
        let profile = try faults.resolve()
        if printProfile {
            print(profile.json)
            return
        }
        let (host, port) = try Self.split(target)
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let proxy = try await ChaosProxy.start(.init(
            listenHost: listenHost, listenPort: listen, targetHost: host, targetPort: port, profile: profile, seed: faults.seed
        ))
        say("courier chaos: \(listenHost):\(proxy.port) → \(host):\(port), profile \(profile.name), seed \(faults.seed)")
        say(profile.json)
        let reporter = Task {
            guard reportEvery > 0 else { return }
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(reportEvery))
                Self.say("[\(Self.seconds(proxy.elapsed)) s] \(proxy.report)")
            }
        }
        for await signal in signals {
            say("\(signal): stopping")
            break
        }
        reporter.cancel()
        let report = proxy.report
        await proxy.stop()
        say(Self.finalReport(report, elapsed: proxy.elapsed))
    }

    /// Writes a line to stdout at once (a pipe would otherwise hold the progress lines).
    func say(_ text: String) { Self.say(text) }

    static func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    static func finalReport(_ report: ChaosReport, elapsed: Duration) -> String {
        let times = report.detectionTimes
        var lines = [
            "final report after \(seconds(elapsed)) s",
            "  connections  \(report.connectionsAccepted) accepted, \(report.connectionsRefused) refused (outage), \(report.targetConnectFailures) target unreachable",
            "  bytes        client→server \(report.bytesClientToServer), server→client \(report.bytesServerToClient)",
            "  chunks       \(report.chunks) written, \(report.delayedChunks) delayed (mean \(ChaosReport.millis(report.meanDelay)), max \(ChaosReport.millis(report.maxDelay)))",
            "  resets       \(report.resets)",
            "  black holes  \(report.blackHoles), \(times.count) ended by a close"
                + (times.isEmpty ? "" : " after p50 \(ChaosReport.millis(ChaosReport.percentile(times, 0.5))), max \(ChaosReport.millis(times.last ?? .zero))"),
            "  outages      \(report.outages), \(report.outageResets) connections reset",
        ]
        let byClient = report.detections.filter { $0.by == .client }.count
        if !times.isEmpty { lines.append("               closed by the client \(byClient), by the server \(times.count - byClient)") }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
    }

    static func split(_ target: String) throws -> (String, Int) {
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]) else {
            throw ValidationError("--target must be HOST:PORT, for example 127.0.0.1:8080")
        }
        var host = String(target[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
