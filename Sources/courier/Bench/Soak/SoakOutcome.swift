import CourierChaos
import CourierInspect
import Foundation

/// What `courier bench soak` reports: the table, and the JSON with a per-second timeline.
struct SoakOutcome {
    /// The proxy's faults during one second.
    struct Faults {
        var resets = 0
        var blackHoles = 0
        var outages = 0
        var refused = 0

        init(previous: ChaosReport, now: ChaosReport) {
            resets = now.resets - previous.resets
            blackHoles = now.blackHoles - previous.blackHoles
            outages = now.outages - previous.outages
            refused = now.connectionsRefused - previous.connectionsRefused
        }
    }

    let settings: SoakBench
    let profile: ChaosProfile
    let clients: Int
    let totals: SoakLedger.Totals
    let report: ChaosReport
    let faultSeconds: [Faults]
    let restartSecond: Int?
    let restartDuration: Duration?

    var heartbeat: Duration { .milliseconds(settings.heartbeatMs) }
    /// 2.5 heartbeat intervals of silence, from the hole's start at the proxy; bytes the
    /// proxy forwarded just before it (delayed by the profile's latency and jitter)
    /// reach the peer up to that much later, so that delay is added. A side whose timer
    /// ran over half an interval late judges one interval later (§13): such a detection
    /// counts as over the limit.
    var detectionLimit: Duration {
        let inFlight = [profile.clientToServer, profile.serverToClient].map { $0.latencyMillis + $0.jitterMillis }.max() ?? 0
        return heartbeat * 5 / 2 + .milliseconds(inFlight)
    }

    static func millis(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }

    static func decimal(_ duration: Duration) -> JSONValue { .decimal(String(format: "%.1f", millis(duration))) }

    func percentiles(_ sorted: [Duration]) -> JSONValue {
        .object([
            ("count", .number(Int64(sorted.count))),
            ("p50", Self.decimal(ChaosReport.percentile(sorted, 0.5))), ("p99", Self.decimal(ChaosReport.percentile(sorted, 0.99))),
            ("max", Self.decimal(sorted.last ?? .zero)),
        ])
    }

    var json: JSONValue {
        let detections = report.detectionTimes
        let timeline = (0..<max(totals.seconds.count, faultSeconds.count)).map { second -> JSONValue in
            let counts = second < totals.seconds.count ? totals.seconds[second] : SoakLedger.Second()
            let faults = second < faultSeconds.count ? faultSeconds[second] : nil
            return .object([
                ("t", .number(Int64(second))), ("sent", .number(Int64(counts.sent))), ("delivered", .number(Int64(counts.delivered))),
                ("reconnects", .number(Int64(counts.reconnects))), ("resume_failed", .number(Int64(counts.resumeFailed))),
                ("resets", .number(Int64(faults?.resets ?? 0))), ("black_holes", .number(Int64(faults?.blackHoles ?? 0))),
                ("outage", .bool(isOutage(second: second))), ("restart", .bool(restartSecond == second)),
            ])
        }
        return .object([
            ("scenario", .string("soak")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("clients", .number(Int64(clients))), ("duration_s", .number(Int64(settings.duration))),
            ("rate_per_client", .number(Int64(settings.rate))), ("payload_bytes", .number(Int64(settings.payloadBytes))),
            ("profile", .string(profile.name)), ("seed", .number(Int64(bitPattern: settings.faults.seed))),
            ("heartbeat_ms", .number(Int64(settings.heartbeatMs))),
            ("restart_at_s", restartSecond.map { .number(Int64($0)) } ?? .null),
            ("restart_ms", restartDuration.map { Self.decimal($0) } ?? .null),
            ("sent", .number(Int64(totals.sent))), ("delivered", .number(Int64(totals.delivered))), ("lost", .number(Int64(totals.lost))),
            ("duplicated", .number(Int64(totals.duplicated))), ("out_of_order", .number(Int64(totals.outOfOrder))),
            ("reconnects", .number(Int64(totals.reconnects))), ("resume_failed", .number(Int64(totals.resumeFailed))),
            ("gave_up", .number(Int64(totals.gaveUp))),
            ("recovery_ms", percentiles(totals.recoveries)),
            ("restart_recovery_ms", percentiles(totals.restartRecoveries)),
            ("black_hole_detection_ms", .object([
                ("count", .number(Int64(detections.count))),
                ("p50", Self.decimal(ChaosReport.percentile(detections, 0.5))), ("p99", Self.decimal(ChaosReport.percentile(detections, 0.99))),
                ("max", Self.decimal(detections.last ?? .zero)), ("limit", Self.decimal(detectionLimit)),
                ("over_limit", .number(Int64(detections.filter { $0 > detectionLimit }.count))),
                ("by_client", .number(Int64(report.detections.filter { $0.by == .client }.count))),
            ])),
            ("faults", .object([
                ("resets", .number(Int64(report.resets))), ("black_holes", .number(Int64(report.blackHoles))),
                ("outages", .number(Int64(report.outages))), ("refused", .number(Int64(report.connectionsRefused))),
                ("target_unreachable", .number(Int64(report.targetConnectFailures))), ("connections", .number(Int64(report.connectionsAccepted))),
            ])),
            ("timeline", .array(timeline)),
        ])
    }

    func isOutage(second: Int) -> Bool {
        // Outages are on the proxy's clock; the timeline's second 0 is when the exchange began.
        faultSeconds.indices.contains(second) && faultSeconds[second].outages > 0
    }

    var table: String {
        let detections = report.detectionTimes
        func row(_ label: String, _ value: String) -> String { "  " + label.padding(toLength: 26, withPad: " ", startingAt: 0) + value }
        func spread(_ sorted: [Duration]) -> String {
            sorted.isEmpty ? "none" : String(
                format: "p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d)", Self.millis(ChaosReport.percentile(sorted, 0.5)),
                Self.millis(ChaosReport.percentile(sorted, 0.99)), Self.millis(sorted.last ?? .zero), sorted.count
            )
        }
        var lines = [
            "soak: \(clients) clients × \(settings.rate) acknowledged msg/s for \(settings.duration) s, profile \(profile.name), seed \(settings.faults.seed), heartbeat \(settings.heartbeatMs) ms, \(BuildInfo.mode) build, \(BuildInfo.cores) cores",
            row("sent (acknowledged)", "\(totals.sent)"),
            row("delivered", "\(totals.delivered)"),
            row("lost", "\(totals.lost)"),
            row("duplicated", "\(totals.duplicated)"),
            row("out of order", "\(totals.outOfOrder)"),
            row("reconnects (resumed)", "\(totals.reconnects)"),
            row("resume failed", "\(totals.resumeFailed)"),
            row("gave up reconnecting", "\(totals.gaveUp)"),
            row("recovery after a loss", spread(totals.recoveries)),
        ]
        if let restartSecond {
            lines.append(row("server restart", String(format: "at %d s, listening again after %.0f ms", restartSecond, Self.millis(restartDuration ?? .zero))))
            lines.append(row("recovery after restart", spread(totals.restartRecoveries)))
        }
        let over = detections.filter { $0 > detectionLimit }.count
        lines.append(row("black hole detected", detections.isEmpty ? "none ended" : spread(detections) + String(format: "; limit %.0f ms, %d over", Self.millis(detectionLimit), over)))
        lines.append(row("faults injected", "\(report.resets) resets, \(report.blackHoles) black holes, \(report.outages) outages (\(report.connectionsRefused) refused), \(report.connectionsAccepted) connections"))
        return lines.joined(separator: "\n")
    }
}
