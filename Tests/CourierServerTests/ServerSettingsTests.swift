import Configuration
import CourierCompression
import CourierServer
import Foundation
import Testing

/// `courier serve --config`: file < environment < flags, errors that name the key,
/// and `--print-config` output that reads back as the same settings.
@Suite("Server settings")
struct ServerSettingsTests {
    func file(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("courier-settings-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theEnvironmentOverridesTheFileAndFlagsOverrideBoth() async throws {
        let path = try file(#"{"host": "0.0.0.0", "port": 1111, "heartbeatMs": 2000, "allowedOrigins": ["https://a.example"], "adminPort": 9100, "threads": 2}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try await ServerSettings.load(
            file: path,
            environment: ["COURIER_PORT": "2222", "COURIER_HEARTBEAT_MS": "3000", "COURIER_TOPIC_POLICIES": "a.>=keepLatest b.>=disconnect", "PORT": "1"],
            flags: ["port": .int(3333)]
        )
        #expect(settings.port == 3333)
        #expect(settings.heartbeatMs == 3000)
        #expect(settings.host == "0.0.0.0")
        #expect(settings.allowedOrigins == ["https://a.example"])
        #expect(settings.topicPolicies == ["a.>=keepLatest", "b.>=disconnect"])
        #expect(settings.adminPort == 9100)
        #expect(settings.threads == 2)
        #expect(settings.maxMessageBytes == ServerSettings().maxMessageBytes)
        let configuration = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1)
        #expect(configuration.port == 3333)
        #expect(configuration.heartbeatInterval == .milliseconds(3000))
        #expect(configuration.admin?.port == 9100)
        #expect(configuration.admin?.host == "127.0.0.1")
    }

    @Test func withoutAFileDefaultsApply() async throws {
        let settings = try await ServerSettings.load(file: nil, environment: [:])
        #expect(settings == ServerSettings())
        #expect(settings.adminPort == nil)
    }

    @Test func aValueOfTheWrongTypeIsNamedWithItsSource() async throws {
        let path = try file(#"{"heartbeatMs": "fast"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = await #expect(throws: ServerSettings.Invalid.self) { try await ServerSettings.load(file: path, environment: [:]) }
        #expect(fromFile?.key == "heartbeatMs")
        #expect(fromFile?.source?.contains("config file") == true)
        #expect(fromFile?.description.contains("--heartbeat-ms, COURIER_HEARTBEAT_MS") == true)

        let fromEnvironment = await #expect(throws: ServerSettings.Invalid.self) {
            try await ServerSettings.load(file: nil, environment: ["COURIER_PORT": "eighty"])
        }
        #expect(fromEnvironment?.key == "port")
        #expect(fromEnvironment?.source == "environment variable COURIER_PORT")
    }

    @Test func anUnknownKeyOrANonObjectFileIsRefused() async throws {
        let typo = try file(#"{"heartbeatMS": 1000}"#)
        defer { try? FileManager.default.removeItem(atPath: typo) }
        let unknown = await #expect(throws: ServerSettings.Invalid.self) { try await ServerSettings.load(file: typo, environment: [:]) }
        #expect(unknown?.key == "heartbeatMS")
        #expect(unknown?.problem.contains("unknown key") == true)
        let list = try file("[1, 2]")
        defer { try? FileManager.default.removeItem(atPath: list) }
        let notObject = await #expect(throws: ServerSettings.Invalid.self) { try await ServerSettings.load(file: list, environment: [:]) }
        #expect(notObject?.key == "config")
    }

    @Test func valuesOutOfRangeNameTheSettingsKey() throws {
        var settings = ServerSettings()
        settings.heartbeatMs = -1
        #expect(throws: ServerSettings.Invalid(key: "heartbeatMs", problem: "must not be negative (0 disables heartbeats), got -1")) { try settings.validate() }
        settings = ServerSettings()
        settings.defaultPolicy = "panic"
        #expect { try settings.validate() } throws: { ($0 as? ServerSettings.Invalid)?.key == "defaultPolicy" }
        settings = ServerSettings()
        settings.topicPolicies = ["chat.>=sometimes"]
        #expect { try settings.validate() } throws: { ($0 as? ServerSettings.Invalid)?.key == "topicPolicies" }
        settings = ServerSettings()
        settings.hmacKeys = ["only-two:fields"]
        #expect { try settings.validate() } throws: { ($0 as? ServerSettings.Invalid)?.key == "hmacKeys" }
        settings = ServerSettings()
        settings.secret = ServerSettings.redacted
        #expect { try settings.validate() } throws: { ($0 as? ServerSettings.Invalid)?.key == "secret" }
        // Checked by ServerConfiguration.validate(), reported under the settings key.
        settings = ServerSettings()
        settings.queueBytesPerConnection = 1_024
        #expect { _ = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1) } throws: {
            ($0 as? ServerSettings.Invalid)?.key == "queueBytesPerConnection"
        }
        settings = ServerSettings()
        settings.timerResolutionMs = 0
        #expect(throws: ServerSettings.Invalid(key: "timerResolutionMs", problem: "must be 1...1000 (milliseconds), got 0")) { try settings.validate() }
        settings.timerResolutionMs = 1_001
        #expect { try settings.validate() } throws: { ($0 as? ServerSettings.Invalid)?.key == "timerResolutionMs" }
        settings = ServerSettings()
        settings.drainRetryAfterMs = Int(UInt32.max) + 1
        #expect { _ = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1) } throws: {
            ($0 as? ServerSettings.Invalid)?.key == "drainRetryAfterMs"
        }
    }

    @Test func printedSettingsReadBackTheSame() async throws {
        var settings = ServerSettings()
        settings.host = "0.0.0.0"
        settings.port = 9000
        settings.echoPath = "/echo"
        settings.allowedOrigins = ["https://a.example", "https://b.example"]
        settings.topicPolicies = ["ticks.>=keepLatest"]
        settings.jwtAudience = "app \"quoted\""
        settings.historyMessages = 0
        settings.threads = 3
        settings.adminPort = 0
        settings.sessionSnapshot = "/var/lib/courier/sessions"
        let path = try file(settings.renderJSON())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let read = try await ServerSettings.load(file: path, environment: [:])
        #expect(read == settings)
        // Every key is written, unset ones as null.
        let defaults = ServerSettings().renderJSON()
        for key in ServerSettings.keys { #expect(defaults.contains("\"\(key.name)\": ")) }
        #expect(defaults.contains(#""adminPort": null"#))
    }

    @Test func theTimerResolutionReachesTheServerConfiguration() throws {
        var settings = ServerSettings()
        #expect(try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1).timerResolution == .milliseconds(20))
        settings.timerResolutionMs = 5
        #expect(try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1).timerResolution == .milliseconds(5))
    }

    @Test func printedSettingsRedactSecrets() throws {
        var settings = ServerSettings()
        settings.secret = "a-very-secret-server-secret-of-40-characters"
        settings.hmacKeys = ["k1:another-hmac-secret-0123456789abcdef:alice:chat.>"]
        let text = settings.renderJSON()
        #expect(!text.contains("a-very-secret"))
        #expect(!text.contains("another-hmac-secret"))
        #expect(text.contains(#""secret": "<redacted>""#))
        #expect(text.contains(#""k1:<redacted>:alice:chat.>""#))
    }

    @Test func keysMapToFlagsAndEnvironmentVariables() {
        let key = ServerSettings.keys.first { $0.name == "drainRetryAfterMs" }
        #expect(key?.flag == "--drain-retry-after-ms")
        #expect(key?.environmentName == "COURIER_DRAIN_RETRY_AFTER_MS")
        #expect(ServerSettings.keys.first { $0.name == "hmacKeys" }?.flag == "--hmac-key")
        #expect(Set(ServerSettings.keys.map(\.environmentName)).count == ServerSettings.keys.count)
    }

    @Test func dictionaryFilesAreReadAtStartAndABadOneIsNamed() throws {
        let dictionary = try CompressionDictionary(id: 7, version: 2, bytes: Array("{\"symbol\":".utf8))
        let good = FileManager.default.temporaryDirectory.appendingPathComponent("courier-dict-\(UUID().uuidString).cdic").path
        FileManager.default.createFile(atPath: good, contents: Data(dictionary.encoded()))
        var bad = dictionary.encoded()
        bad[bad.count - 1] ^= 0xFF  // the CRC no longer matches
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("courier-dict-\(UUID().uuidString).cdic").path
        FileManager.default.createFile(atPath: corrupt, contents: Data(bad))
        defer { try? FileManager.default.removeItem(atPath: good); try? FileManager.default.removeItem(atPath: corrupt) }
        var settings = ServerSettings()
        settings.dictionaries = [good]
        let configuration = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1)
        #expect(configuration.compression.dictionaries == [dictionary])
        settings.dictionaries = [good, corrupt]
        #expect { _ = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1) } throws: {
            guard let invalid = $0 as? ServerSettings.Invalid else { return false }
            return invalid.key == "dictionaries" && invalid.problem.contains(corrupt)
        }
        settings.dictionaries = [good, good]
        #expect { _ = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1) } throws: {
            ($0 as? ServerSettings.Invalid)?.key == "dictionaries"
        }
        settings = ServerSettings()
        settings.compression = "maybe"
        #expect { _ = try settings.serverConfiguration(secret: Array(repeating: 7, count: 32), defaultThreads: 1) } throws: {
            ($0 as? ServerSettings.Invalid)?.key == "compression"
        }
    }
}
