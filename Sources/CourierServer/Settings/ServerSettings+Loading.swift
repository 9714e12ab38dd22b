import Configuration
import Foundation
import NIOConcurrencyHelpers
import SystemPackage

extension ServerSettings {
    /// Reads the settings from a JSON file (optional), the environment (`COURIER_…`) and
    /// values given on the command line (`flags`, keyed by `Key.name`), each overriding
    /// the one before; a key none of them gives keeps its default.
    ///
    /// - Throws: `Invalid` naming the key and where its value came from: a value of the
    ///   wrong type, a key the schema does not know in the file, a file that is not JSON.
    public static func load(
        file: String?, environment: [String: String], flags: [String: ConfigContent] = [:]
    ) async throws(Invalid) -> ServerSettings {
        var providers: [any ConfigProvider] = []
        if !flags.isEmpty {
            var values: [AbsoluteConfigKey: ConfigValue] = [:]
            for (name, content) in flags {
                values[AbsoluteConfigKey([name])] = ConfigValue(content, isSecret: Key.named(name)?.isSecret ?? false)
            }
            providers.append(InMemoryProvider(name: "command line", values: values))
        }
        // Lists in the environment are separated by spaces (HMAC keys and topic policies
        // contain commas).
        providers.append(
            EnvironmentVariablesProvider(
                environmentVariables: environment.filter { $0.key.hasPrefix("COURIER_") }, secretsSpecifier: .specific(["COURIER_SECRET", "COURIER_HMAC_KEYS"]),
                arraySeparator: " "
            ).prefixKeys(with: "courier")
        )
        if let file {
            try checkKeys(inFile: file)
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
            } catch {
                throw Invalid(key: "config", source: "config file \(file)", problem: "cannot read it: \(error)")
            }
        }
        let failures = FailureCollector()
        let reader = ConfigReader(providers: providers, accessReporter: failures)
        var settings = ServerSettings()
        for key in keys {
            let configKey = ConfigKey([key.name])
            switch key.kind {
            case .int(let path):
                if let value = reader.int(forKey: configKey, isSecret: key.isSecret) { settings[keyPath: path] = value }
            case .optionalInt(let path):
                if let value = reader.int(forKey: configKey, isSecret: key.isSecret) { settings[keyPath: path] = value }
            case .string(let path):
                if let value = reader.string(forKey: configKey, isSecret: key.isSecret) { settings[keyPath: path] = value }
            case .optionalString(let path):
                if let value = reader.string(forKey: configKey, isSecret: key.isSecret) { settings[keyPath: path] = value }
            case .strings(let path):
                if let value = reader.stringArray(forKey: configKey, isSecret: key.isSecret) { settings[keyPath: path] = value.filter { !$0.isEmpty } }
            }
            if let failure = failures.take() {
                throw Invalid(key: key.name, source: source(of: failure, key: key, file: file), problem: "must be \(key.kind.expected)")
            }
        }
        return settings
    }

    /// A key the schema does not know is a mistake (a typo would otherwise be ignored).
    static func checkKeys(inFile file: String) throws(Invalid) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw Invalid(key: "config", source: "config file \(file)", problem: "not a readable JSON file: \(error.localizedDescription)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw Invalid(key: "config", source: "config file \(file)", problem: "must be a JSON object of keys and values")
        }
        let known = Set(keys.map(\.name))
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(key: unknown, source: "config file \(file)", problem: "unknown key; the keys are \(keys.map(\.name).joined(separator: ", "))")
        }
    }

    private static func source(of event: AccessEvent, key: Key, file: String?) -> String? {
        let name = event.providerResults.first { result in
            if case .success(let lookup) = result.result { return lookup.value != nil }
            return true
        }?.providerName ?? ""
        if name.contains("Environment") { return "environment variable \(key.environmentName)" }
        if name.contains("FileProvider") { return file.map { "config file \($0)" } ?? "config file" }
        if name.contains("command line") { return "command line \(key.flag)" }
        return nil
    }
}

extension ServerSettings.Key.Kind {
    var expected: String {
        switch self {
        case .int, .optionalInt: "an integer"
        case .string, .optionalString: "a string"
        case .strings: "a list of strings (JSON array; space-separated in the environment)"
        }
    }
}

/// Keeps the first lookup whose value did not convert to the type asked for
/// (swift-configuration's non-throwing getters report it here and return nil).
private final class FailureCollector: AccessReporter, Sendable {
    private let failure = NIOLockedValueBox<AccessEvent?>(nil)

    func report(_ event: AccessEvent) {
        // A provider that cannot read its value as the type asked for fails its lookup
        // (the reader surfaces that only in `providerResults`).
        let providerFailed = event.providerResults.contains { if case .failure = $0.result { true } else { false } }
        let failed: Bool
        if case .failure = event.result { failed = true } else { failed = event.conversionError != nil || providerFailed }
        guard failed else { return }
        failure.withLockedValue { if $0 == nil { $0 = event } }
    }

    func take() -> AccessEvent? {
        failure.withLockedValue { value in defer { value = nil }; return value }
    }
}
