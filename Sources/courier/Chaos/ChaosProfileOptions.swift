import ArgumentParser
import CourierChaos

/// The fault options `courier chaos` and `courier bench soak` share: a profile (built-in
/// name or JSON file) and flags that override its fields.
struct ChaosProfileOptions: ParsableArguments {
    @Option(help: "A built-in profile (\(ChaosProfile.builtInNames.joined(separator: ", "))) or a profile JSON file (docs/CHAOS.md).")
    var profile = "clean"
    @Option(help: "Latency added each way, milliseconds (overrides the profile, both directions).") var latencyMs: Int?
    @Option(help: "Uniform extra delay per chunk, up to this many milliseconds (both directions).") var jitterMs: Int?
    @Option(help: "Bandwidth cap in bytes per second, each direction (0: unlimited).") var bandwidth: Int?
    @Option(help: "Forward in chunks of at most this many bytes, each flushed alone (0: as read).") var maxChunk: Int?
    @Option(help: "Reset each connection after this many milliseconds on average (0: never).") var resetEveryMs: Int?
    @Option(help: "Black-hole each connection after this many milliseconds on average (0: never).") var blackholeEveryMs: Int?
    @Option(help: "How long a black hole lasts, milliseconds (0: until the connection ends).") var blackholeMs: Int?
    @Option(help: "Which directions a black hole swallows: both, clientToServer, serverToClient.") var blackholeDirections: String?
    @Option(help: "An outage AT_MS:DURATION_MS after the start: every connection reset, new ones refused (repeatable).")
    var outage: [String] = []
    @Option(help: "The seed of every random decision (the same seed, the same faults).") var seed: UInt64 = 1

    /// The profile with the flags applied, validated.
    func resolve() throws -> ChaosProfile {
        var profile = try ChaosProfile.named(self.profile)
        var changed = false
        func shape(_ body: (inout ChaosProfile.Shaping) -> Void) {
            body(&profile.clientToServer)
            body(&profile.serverToClient)
            changed = true
        }
        if let latencyMs { shape { $0.latencyMillis = latencyMs } }
        if let jitterMs { shape { $0.jitterMillis = jitterMs } }
        if let bandwidth { shape { $0.bandwidthBytesPerSecond = bandwidth } }
        if let maxChunk { shape { $0.maxChunkBytes = maxChunk } }
        if let resetEveryMs {
            profile.resets = resetEveryMs == 0 ? nil : .init(meanIntervalMillis: resetEveryMs)
            changed = true
        }
        if blackholeEveryMs != nil || blackholeMs != nil || blackholeDirections != nil {
            var holes = profile.blackHoles ?? .init(meanIntervalMillis: 0)
            if let blackholeEveryMs { holes.meanIntervalMillis = blackholeEveryMs }
            if let blackholeMs { holes.durationMillis = blackholeMs == 0 ? nil : blackholeMs }
            if let blackholeDirections {
                guard let directions = ChaosProfile.Directions(rawValue: blackholeDirections) else {
                    throw ChaosProfileError.badFlag("--blackhole-directions must be one of \(ChaosProfile.Directions.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                holes.directions = directions
            }
            guard holes.meanIntervalMillis != 0 || blackholeEveryMs == 0 else {
                throw ChaosProfileError.badFlag("--blackhole-ms and --blackhole-directions need --blackhole-every-ms (the profile has no black holes)")
            }
            profile.blackHoles = holes.meanIntervalMillis == 0 ? nil : holes
            changed = true
        }
        if !outage.isEmpty {
            profile.outages = try outage.map { text in
                let parts = text.split(separator: ":")
                guard parts.count == 2, let at = Int(parts[0]), let duration = Int(parts[1]) else {
                    throw ChaosProfileError.badFlag("--outage \(text): expected AT_MS:DURATION_MS, for example 10000:2000")
                }
                return .init(atMillis: at, durationMillis: duration)
            }.sorted { $0.atMillis < $1.atMillis }
            changed = true
        }
        if changed { profile.name += "+flags" }
        try profile.validate()
        return profile
    }
}
