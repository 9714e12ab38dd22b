import Foundation
extension ServerSettings {
    /// What `--print-config` writes in place of a secret.
    public static let redacted = "<redacted>"

    /// The settings as a configuration file (JSON, every key in schema order, unset
    /// optional keys as null), secrets redacted: the secret as `<redacted>`, each HMAC
    /// key's secret field likewise. Read back, it gives the same settings (secrets apart).
    public func renderJSON(redactingSecrets: Bool = true) -> String {
        var lines: [String] = []
        for key in Self.keys {
            let value: String
            switch key.kind {
            case .int(let path): value = String(self[keyPath: path])
            case .optionalInt(let path): value = self[keyPath: path].map(String.init) ?? "null"
            case .string(let path): value = Self.quoted(self[keyPath: path])
            case .optionalString(let path):
                value = self[keyPath: path].map { Self.quoted(redactingSecrets && key.isSecret ? Self.redacted : $0) } ?? "null"
            case .strings(let path):
                let items = self[keyPath: path].map { item in
                    Self.quoted(redactingSecrets && key.name == "hmacKeys" ? Self.redactingHMACSecret(item) : item)
                }
                value = "[" + items.joined(separator: ", ") + "]"
            }
            lines.append("  \(Self.quoted(key.name)): \(value)")
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    /// `id:secret:user…` → `id:<redacted>:user…`.
    static func redactingHMACSecret(_ spec: String) -> String {
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 2 { parts[1] = redacted } else { return redacted }
        return parts.joined(separator: ":")
    }

    /// `text` as a JSON string literal (Foundation's escaping, slashes left as they are).
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(text), let literal = String(data: data, encoding: .utf8) else { return "\"\"" }
        return literal
    }
}
