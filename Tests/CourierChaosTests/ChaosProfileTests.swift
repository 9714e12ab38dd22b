import CourierChaos
import Foundation
import Testing

/// The profile file format and its limits.
@Suite("Chaos profiles")
struct ChaosProfileTests {
    func parse(_ text: String) throws(ChaosProfileError) -> ChaosProfile {
        try ChaosProfile.parse(json: Data(text.utf8))
    }

    func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func aFullFileReadsAsWritten() throws {
        let profile = try parse("""
        {"name": "lab", "clientToServer": {"latencyMs": 20, "jitterMs": 10, "bandwidthBytesPerSecond": 50000, "maxChunkBytes": 512},
         "serverToClient": {"latencyMs": 5}, "resets": {"meanIntervalMs": 8000},
         "blackHoles": {"meanIntervalMs": 30000, "durationMs": 5000, "directions": "serverToClient"},
         "outages": [{"atMs": 20000, "durationMs": 2000}]}
        """)
        #expect(profile == ChaosProfile(
            name: "lab",
            clientToServer: .init(latencyMillis: 20, jitterMillis: 10, bandwidthBytesPerSecond: 50_000, maxChunkBytes: 512),
            serverToClient: .init(latencyMillis: 5),
            resets: .init(meanIntervalMillis: 8_000),
            blackHoles: .init(meanIntervalMillis: 30_000, durationMillis: 5_000, directions: .serverToClient),
            outages: [.init(atMillis: 20_000, durationMillis: 2_000)]
        ))
    }

    @Test func everyBuiltInProfileIsValidAndSurvivesItsOwnFormat() throws {
        for profile in ChaosProfile.builtIn {
            try profile.validate()
            #expect(try parse(profile.json) == profile, "\(profile.name)")
            #expect(try ChaosProfile.named(profile.name) == profile)
        }
        #expect(try parse("{}") == ChaosProfile())
    }

    @Test func mistakesAreRefusedByName() {
        #expect(error("{\"latencyMs\": 5}") == "chaos profile: unknown key latencyMs")
        #expect(error("{\"clientToServer\": {\"latency\": 5}}") == "chaos profile: unknown key clientToServer.latency")
        #expect(error("{\"clientToServer\": {\"latencyMs\": \"5\"}}") == "chaos profile: clientToServer.latencyMs must be an integer")
        #expect(error("{\"clientToServer\": {\"latencyMs\": 1.5}}") == "chaos profile: clientToServer.latencyMs must be an integer")
        #expect(error("{\"serverToClient\": {\"jitterMs\": 60001}}") == "chaos profile: serverToClient.jitterMs is 60001, allowed 0...60000")
        #expect(error("{\"resets\": {\"meanIntervalMs\": 5}}") == "chaos profile: resets.meanIntervalMs is 5, allowed 10...86400000")
        #expect(error("{\"blackHoles\": {\"meanIntervalMs\": 100, \"directions\": \"up\"}}")
            == "chaos profile: blackHoles.directions must be one of both, clientToServer, serverToClient")
        #expect(error("{\"outages\": [{\"atMs\": 100, \"durationMs\": 50}, {\"atMs\": 120, \"durationMs\": 5}]}")
            == "chaos profile: outages[1] starts before outages[0] ends (sort them, no overlap)")
        #expect(error("[1]") == "chaos profile: the profile must be a JSON object")
        #expect(error("{").hasPrefix("the chaos profile is not valid JSON"))
    }

    @Test func anUnknownNameListsTheBuiltInProfiles() {
        #expect {
            _ = try ChaosProfile.named("no-such-profile")
        } throws: { error in
            "\(error)" == "no built-in chaos profile no-such-profile and no such file (built-in: clean, flaky, mobile, blackhole, outage)"
        }
    }
}
