import CourierAuth
import CourierWire
import Crypto
import Foundation
import JWTKit
import NIOCore

/// Fixed inputs shared by the tests: no test reads the wall clock.
enum Fixtures {
    /// 2023-11-14T22:13:20Z.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let nowSeconds = 1_700_000_000
    static let hsSecret: [UInt8] = Array(repeating: 0x5a, count: 32)
    static let otherSecret: [UInt8] = Array(repeating: 0xa5, count: 32)
    static let audience = "courier.example"
    static let issuer = "https://id.example"
    static let nonceA: [UInt8] = Array(0x10..<0x30)
    static let nonceB: [UInt8] = Array(0x30..<0x50)
    static let nonceC: [UInt8] = Array(0x50..<0x70)
}

/// `aud` as a JSON string or array.
enum TestAudience: Codable, Sendable {
    case one(String)
    case many([String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .one(let value): try container.encode(value)
        case .many(let values): try container.encode(values)
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            self = .one(value)
        } else {
            self = .many(try container.decode([String].self))
        }
    }
}

/// Claims as a test wants them, including wrong or missing ones. Absent optionals are
/// omitted from the JSON.
struct TestClaims: JWTPayload {
    var sub: String?
    var exp: Int?
    var nbf: Int?
    var aud: TestAudience?
    var iss: String?
    var publish: [String]?
    var subscribe: [String]?

    /// Valid claims for a server configured with ``Fixtures/audience`` and ``Fixtures/issuer``.
    static func valid(expiresIn seconds: Int = 300) -> TestClaims {
        TestClaims(
            sub: "alice", exp: Fixtures.nowSeconds + seconds, nbf: nil, aud: .one(Fixtures.audience),
            iss: Fixtures.issuer, publish: ["chat.alice.>"], subscribe: ["chat.>", "presence.*"]
        )
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

enum Tokens {
    static func hs256(_ claims: TestClaims, secret: [UInt8] = Fixtures.hsSecret, kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
        return try await sign(claims, with: keys, kid: kid)
    }

    static func sign(_ claims: TestClaims, with keys: JWTKeyCollection, kid: String? = nil) async throws -> String {
        var header = JWTHeader()
        if let kid { header.kid = kid }
        return try await keys.sign(claims, header: header)
    }

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A compact JWS assembled by hand from JSON text.
    static func handBuilt(header: String, payload: String, signature: [UInt8] = []) -> String {
        base64url(Array(header.utf8)) + "." + base64url(Array(payload.utf8)) + "." + base64url(signature)
    }

    /// A compact JWS from JSON text, HS256-signed by hand (no jwt-kit involved).
    static func handSignedHS256(header: String, payload: String, secret: [UInt8] = Fixtures.hsSecret) -> String {
        let signingInput = base64url(Array(header.utf8)) + "." + base64url(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: secret))
        return signingInput + "." + base64url(Array(mac))
    }

    static func validPayloadJSON() -> String {
        #"{"sub":"mallory","exp":\#(Fixtures.nowSeconds + 300),"aud":"\#(Fixtures.audience)","iss":"\#(Fixtures.issuer)"}"#
    }
}

/// Builds an authenticator for JWT tests with the fixtures' audience and issuer.
func makeJWTAuthenticator(
    _ keys: [JWTVerificationKey],
    audience: String? = Fixtures.audience,
    issuer: String? = Fixtures.issuer,
    leeway: Duration = AuthConfiguration.defaultLeeway
) async throws -> Authenticator {
    await Authenticator(configuration: try AuthConfiguration(jwtKeys: keys, audience: audience, issuer: issuer, leeway: leeway))
}

func jwtHandshake(_ token: String) -> Handshake {
    Handshake(minVersion: 1, maxVersion: 2, auth: .jwt(token: token))
}

func hmacHandshake(keyID: String, mac: [UInt8]) -> Handshake {
    Handshake(minVersion: 1, maxVersion: 2, auth: .hmac(keyID: keyID, mac: ByteBuffer(bytes: mac)))
}

extension Result {
    /// The failure, or nil on success.
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }

    /// The success value, or nil on failure.
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

/// Parses lowercase or uppercase hex; test vectors only.
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
