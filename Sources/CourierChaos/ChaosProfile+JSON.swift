import Foundation

/// The profile file format (`docs/CHAOS.md`): one JSON object, every key optional,
/// unknown keys refused, milliseconds as integers.
///
/// ```json
/// {
///   "name": "flaky",
///   "clientToServer": {"latencyMs": 20, "jitterMs": 10, "bandwidthBytesPerSecond": 0, "maxChunkBytes": 512},
///   "serverToClient": {"latencyMs": 20, "jitterMs": 10},
///   "resets": {"meanIntervalMs": 8000},
///   "blackHoles": {"meanIntervalMs": 30000, "durationMs": 5000, "directions": "both"},
///   "outages": [{"atMs": 20000, "durationMs": 2000}]
/// }
/// ```
extension ChaosProfile {
    /// Parses and validates a profile file's bytes.
    public static func parse(json data: Data) throws(ChaosProfileError) -> ChaosProfile {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .notJSON("\(error.localizedDescription)")
        }
        let root = try Self.object(object, "the profile")
        try Self.refuseUnknown(root, allowed: ["name", "clientToServer", "serverToClient", "resets", "blackHoles", "outages"], in: "")
        var profile = ChaosProfile()
        if let name = root["name"] {
            guard let text = name as? String, !text.isEmpty else { throw .wrongType(field: "name", expected: "a non-empty string") }
            profile.name = text
        }
        if let value = root["clientToServer"] { profile.clientToServer = try Self.shaping(value, "clientToServer") }
        if let value = root["serverToClient"] { profile.serverToClient = try Self.shaping(value, "serverToClient") }
        if let value = root["resets"] {
            let resets = try Self.object(value, "resets")
            try Self.refuseUnknown(resets, allowed: ["meanIntervalMs"], in: "resets.")
            guard resets["meanIntervalMs"] != nil else { throw .wrongType(field: "resets.meanIntervalMs", expected: "present") }
            profile.resets = Resets(meanIntervalMillis: try Self.integer(resets["meanIntervalMs"], "resets.meanIntervalMs") ?? 0)
        }
        if let value = root["blackHoles"] {
            let holes = try Self.object(value, "blackHoles")
            try Self.refuseUnknown(holes, allowed: ["meanIntervalMs", "durationMs", "directions"], in: "blackHoles.")
            guard let mean = try Self.integer(holes["meanIntervalMs"], "blackHoles.meanIntervalMs") else {
                throw .wrongType(field: "blackHoles.meanIntervalMs", expected: "present")
            }
            var directions = Directions.both
            if let raw = holes["directions"] {
                guard let text = raw as? String, let parsed = Directions(rawValue: text) else {
                    throw .wrongType(field: "blackHoles.directions", expected: "one of \(Directions.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                directions = parsed
            }
            profile.blackHoles = BlackHoles(
                meanIntervalMillis: mean, durationMillis: try Self.integer(holes["durationMs"], "blackHoles.durationMs"), directions: directions
            )
        }
        if let value = root["outages"] {
            guard let list = value as? [Any] else { throw .wrongType(field: "outages", expected: "an array") }
            profile.outages = try list.enumerated().map { (index, item) throws(ChaosProfileError) -> Outage in
                let outage = try Self.object(item, "outages[\(index)]")
                try Self.refuseUnknown(outage, allowed: ["atMs", "durationMs"], in: "outages[\(index)].")
                guard let at = try Self.integer(outage["atMs"], "outages[\(index)].atMs"),
                      let duration = try Self.integer(outage["durationMs"], "outages[\(index)].durationMs")
                else { throw .wrongType(field: "outages[\(index)]", expected: "an object with atMs and durationMs") }
                return Outage(atMillis: at, durationMillis: duration)
            }
        }
        try profile.validate()
        return profile
    }

    /// The profile in the file format (keys sorted; what `parse` reads back).
    public var json: String {
        var root: [String: Any] = ["name": name]
        for (key, shaping) in [("clientToServer", clientToServer), ("serverToClient", serverToClient)] where !shaping.isTransparent {
            root[key] = [
                "latencyMs": shaping.latencyMillis, "jitterMs": shaping.jitterMillis,
                "bandwidthBytesPerSecond": shaping.bandwidthBytesPerSecond, "maxChunkBytes": shaping.maxChunkBytes,
            ]
        }
        if let resets { root["resets"] = ["meanIntervalMs": resets.meanIntervalMillis] }
        if let blackHoles {
            var holes: [String: Any] = ["meanIntervalMs": blackHoles.meanIntervalMillis, "directions": blackHoles.directions.rawValue]
            if let duration = blackHoles.durationMillis { holes["durationMs"] = duration }
            root["blackHoles"] = holes
        }
        if !outages.isEmpty { root["outages"] = outages.map { ["atMs": $0.atMillis, "durationMs": $0.durationMillis] } }
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func object(_ value: Any, _ field: String) throws(ChaosProfileError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw .notAnObject(field) }
        return object
    }

    private static func refuseUnknown(_ object: [String: Any], allowed: Set<String>, in prefix: String) throws(ChaosProfileError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) { throw .unknownKey(prefix + unknown) }
    }

    /// An integral JSON number (not a fraction, not a string); nil when absent.
    private static func integer(_ value: Any?, _ field: String) throws(ChaosProfileError) -> Int? {
        guard let value else { return nil }
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue)
        else { throw .wrongType(field: field, expected: "an integer") }
        return integer
    }

    private static func shaping(_ value: Any, _ field: String) throws(ChaosProfileError) -> Shaping {
        let object = try Self.object(value, field)
        try Self.refuseUnknown(object, allowed: ["latencyMs", "jitterMs", "bandwidthBytesPerSecond", "maxChunkBytes"], in: field + ".")
        return Shaping(
            latencyMillis: try Self.integer(object["latencyMs"], field + ".latencyMs") ?? 0,
            jitterMillis: try Self.integer(object["jitterMs"], field + ".jitterMs") ?? 0,
            bandwidthBytesPerSecond: try Self.integer(object["bandwidthBytesPerSecond"], field + ".bandwidthBytesPerSecond") ?? 0,
            maxChunkBytes: try Self.integer(object["maxChunkBytes"], field + ".maxChunkBytes") ?? 0
        )
    }
}
