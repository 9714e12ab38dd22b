#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The fields of a JWS protected header that Courier looks at before any
/// cryptography: `alg` to refuse unconfigured algorithms (208) and `kid` to choose a key.
struct JOSEHeader: Decodable {
    let alg: String
    let kid: String?
    /// Whether the header lists critical extensions (`crit`), none of which Courier
    /// understands: such a token must be rejected (RFC 7515 §4.1.11).
    let hasCritical: Bool

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let alg = Key(stringValue: "alg")
        static let kid = Key(stringValue: "kid")
        static let crit = Key(stringValue: "crit")
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        alg = try container.decode(String.self, forKey: .alg)
        kid = try container.decodeIfPresent(String.self, forKey: .kid)
        hasCritical = container.contains(.crit)
    }

    /// Decodes the first segment of a compact JWS, or nil when it is not base64url of
    /// a JSON object with a string `alg` (and, if present, a string `kid`).
    static func decode(segment: Substring) -> JOSEHeader? {
        guard let json = Base64Text.decode(segment, .urlUnpadded) else { return nil }
        return try? JSONDecoder().decode(JOSEHeader.self, from: Data(json))
    }
}
