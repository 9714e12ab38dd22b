/// What a `ChaosProxy` has done so far. A value: take one with `ChaosProxy.report`,
/// subtract an earlier one for a per-interval view.
public struct ChaosReport: Hashable, Sendable, CustomStringConvertible {
    /// Which end gave up on a black-holed connection first.
    public enum Detector: String, Hashable, Sendable {
        /// The client closed it (its heartbeat found the silence).
        case client
        /// The server closed it.
        case server
    }

    /// A black hole that ended because an end closed the connection.
    public struct Detection: Hashable, Sendable {
        /// From the start of the hole to the close.
        public var after: Duration
        public var by: Detector
    }

    /// Detections kept (the oldest are dropped beyond this).
    public static let maxDetections = 100_000

    public var connectionsAccepted = 0
    /// Reset at once because an outage was on.
    public var connectionsRefused = 0
    public var connectionsOpen = 0
    /// The target could not be reached (the client side was then reset).
    public var targetConnectFailures = 0
    public var bytesClientToServer = 0
    public var bytesServerToClient = 0
    /// Connections reset by the profile's `resets`.
    public var resets = 0
    public var blackHoles = 0
    public var outages = 0
    /// Connections reset because an outage started.
    public var outageResets = 0
    /// Writes to either side (one per chunk).
    public var chunks = 0
    /// Chunks written later than read.
    public var delayedChunks = 0
    public var totalDelay: Duration = .zero
    public var maxDelay: Duration = .zero
    public var detections: [Detection] = []

    public init() {}

    public var meanDelay: Duration { delayedChunks == 0 ? .zero : totalDelay / delayedChunks }

    /// The detection times, sorted.
    public var detectionTimes: [Duration] { detections.map(\.after).sorted() }

    mutating func recordDetection(_ detection: Detection) {
        if detections.count >= Self.maxDetections { detections.removeFirst(detections.count / 2) }
        detections.append(detection)
    }

    /// One line: what `courier chaos` prints as progress.
    public var description: String {
        var parts = [
            "connections \(connectionsAccepted) (\(connectionsOpen) open, \(connectionsRefused) refused)",
            "bytes c→s \(Self.bytes(bytesClientToServer)) s→c \(Self.bytes(bytesServerToClient))",
            "resets \(resets)",
        ]
        let times = detectionTimes
        let detected = times.isEmpty ? "" : ", \(times.count) detected, p50 \(Self.millis(Self.percentile(times, 0.5))) max \(Self.millis(times.last ?? .zero))"
        parts.append("black holes \(blackHoles)\(detected)")
        parts.append("outages \(outages) (\(outageResets) reset)")
        parts.append("chunks \(chunks)")
        if delayedChunks > 0 { parts.append("delay mean \(Self.millis(meanDelay)) max \(Self.millis(maxDelay))") }
        return parts.joined(separator: " · ")
    }

    /// `p` in [0, 1] of sorted values (nearest rank); zero when empty.
    public static func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    public static func millis(_ duration: Duration) -> String {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        return micros >= 10_000 ? "\(micros / 1_000) ms" : "\(Double(micros / 10) / 100) ms"
    }

    static func bytes(_ count: Int) -> String {
        switch count {
        case ..<10_000: return "\(count) B"
        case ..<10_000_000: return "\(count / 1_000) kB"
        default: return "\(count / 1_000_000) MB"
        }
    }
}
