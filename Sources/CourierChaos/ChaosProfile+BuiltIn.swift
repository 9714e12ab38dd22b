import Foundation

extension ChaosProfile {
    /// Pass-through: a baseline with the proxy in the path and no fault.
    public static let clean = ChaosProfile(name: "clean")

    /// A poor but working network: a few ms of latency and jitter, small chunks, a reset
    /// every 10 s per connection on average, and now and then a connection that goes
    /// silent for good (only heartbeats can tell).
    public static let flaky = ChaosProfile(
        name: "flaky",
        clientToServer: Shaping(latencyMillis: 2, jitterMillis: 5, maxChunkBytes: 1_024),
        serverToClient: Shaping(latencyMillis: 2, jitterMillis: 5, maxChunkBytes: 1_024),
        resets: Resets(meanIntervalMillis: 10_000),
        blackHoles: BlackHoles(meanIntervalMillis: 60_000, durationMillis: nil, directions: .both)
    )

    /// A phone on a cellular link: 60 ms ± 40 ms each way, 1 Mbit/s down and 256 kbit/s
    /// up in MTU-sized chunks, a reset every 30 s on average, and 3 s stalls (a cell
    /// handover) every 45 s on average.
    public static let mobile = ChaosProfile(
        name: "mobile",
        clientToServer: Shaping(latencyMillis: 60, jitterMillis: 40, bandwidthBytesPerSecond: 32_000, maxChunkBytes: 1_400),
        serverToClient: Shaping(latencyMillis: 60, jitterMillis: 40, bandwidthBytesPerSecond: 125_000, maxChunkBytes: 1_400),
        resets: Resets(meanIntervalMillis: 30_000),
        blackHoles: BlackHoles(meanIntervalMillis: 45_000, durationMillis: 3_000, directions: .both)
    )

    /// Connections that go silent without closing, 5 s after they start on average, until
    /// they end: what heartbeats exist for.
    public static let blackhole = ChaosProfile(
        name: "blackhole",
        blackHoles: BlackHoles(meanIntervalMillis: 5_000, durationMillis: nil, directions: .both)
    )

    /// The whole path down for 3 s, 10 s after the start: every connection reset, new
    /// ones refused, then back.
    public static let outage = ChaosProfile(name: "outage", outages: [Outage(atMillis: 10_000, durationMillis: 3_000)])

    public static let builtIn: [ChaosProfile] = [.clean, .flaky, .mobile, .blackhole, .outage]
    public static var builtInNames: [String] { builtIn.map(\.name) }

    /// A built-in profile by name, else the JSON file at that path.
    public static func named(_ nameOrPath: String) throws(ChaosProfileError) -> ChaosProfile {
        if let profile = builtIn.first(where: { $0.name == nameOrPath }) { return profile }
        guard FileManager.default.fileExists(atPath: nameOrPath) else { throw .unknownProfile(nameOrPath) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: nameOrPath))
        } catch {
            throw .notJSON("\(nameOrPath) cannot be read: \(error.localizedDescription)")
        }
        return try parse(json: data)
    }
}
