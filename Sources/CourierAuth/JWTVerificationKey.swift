import Crypto
import JWTKit

/// A key the server accepts JWTs under (`docs/PROTOCOL.md` §11.2).
///
/// Each key fixes its algorithm: a token is only ever checked against keys of the
/// algorithm its header names, and an algorithm is accepted only when at least one
/// key of that kind is configured. An optional `kid` lets a token's header select
/// among several keys of one algorithm.
public struct JWTVerificationKey: Sendable {
    /// The JWS algorithms Courier accepts.
    public enum Algorithm: String, Hashable, Sendable, CaseIterable, Comparable {
        /// HMAC-SHA256 with a shared secret.
        case hs256 = "HS256"
        /// ECDSA over P-256 with SHA-256.
        case es256 = "ES256"
        /// Ed25519.
        case eddsa = "EdDSA"

        /// Orders as declared: HS256, ES256, EdDSA.
        public static func < (lhs: Algorithm, rhs: Algorithm) -> Bool { lhs.rank < rhs.rank }

        private var rank: Int {
            switch self {
            case .hs256: return 0
            case .es256: return 1
            case .eddsa: return 2
            }
        }
    }

    /// The key in jwt-kit's form, ready to add to a `JWTKeyCollection`.
    enum Material: Sendable {
        case hmac(HMACKey)
        case p256(ES256PublicKey)
        case ed25519(EdDSA.PublicKey)
    }

    /// The algorithm tokens verified with this key must name in their `alg` header.
    public let algorithm: Algorithm
    /// The key id a token's `kid` header selects this key by, if any.
    public let kid: String?
    let material: Material

    private init(algorithm: Algorithm, kid: String?, material: Material) throws(AuthConfigurationError) {
        if let kid, kid.isEmpty {
            throw AuthConfigurationError(.invalidKeyID, "JWT \(algorithm.rawValue) key: kid must not be empty (use nil for no kid)")
        }
        self.algorithm = algorithm
        self.kid = kid
        self.material = material
    }

    /// An HS256 shared secret of at least ``AuthConfiguration/minimumSecretLength`` bytes.
    ///
    /// - Throws: ``AuthConfigurationError`` when the secret is too short or `kid` is empty.
    public static func hs256(secret: [UInt8], kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        guard secret.count >= AuthConfiguration.minimumSecretLength else {
            throw AuthConfigurationError(
                .secretTooShort,
                "JWT HS256 key \(describe(kid)): secret is \(secret.count) bytes, at least \(AuthConfiguration.minimumSecretLength) are required"
            )
        }
        return try JWTVerificationKey(algorithm: .hs256, kid: kid, material: .hmac(HMACKey(key: SymmetricKey(data: secret))))
    }

    /// An ES256 public key in PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    ///
    /// - Throws: ``AuthConfigurationError`` when the PEM is not a P-256 public key.
    public static func es256(pem: String, kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        let key: P256.Signing.PublicKey
        do {
            key = try P256.Signing.PublicKey(pemRepresentation: pem)
        } catch {
            throw AuthConfigurationError(.invalidPublicKey, "JWT ES256 key \(describe(kid)): PEM is not a P-256 public key")
        }
        return try es256(publicKey: key, kid: kid)
    }

    /// An ES256 public key.
    public static func es256(publicKey: P256.Signing.PublicKey, kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        let key: ES256PublicKey
        do {
            key = try ES256PublicKey(backing: publicKey)
        } catch {
            throw AuthConfigurationError(.invalidPublicKey, "JWT ES256 key \(describe(kid)): not a usable P-256 public key")
        }
        return try JWTVerificationKey(algorithm: .es256, kid: kid, material: .p256(key))
    }

    /// An Ed25519 public key as its raw 32 bytes (the JWK `x` member, decoded).
    ///
    /// - Throws: ``AuthConfigurationError`` unless `x` is exactly 32 bytes.
    public static func eddsa(x: [UInt8], kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        guard x.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
            throw AuthConfigurationError(.invalidPublicKey, "JWT EdDSA key \(describe(kid)): x must be 32 bytes, got \(x.count)")
        }
        return try eddsa(publicKey: key, kid: kid)
    }

    /// An Ed25519 public key as the base64url JWK `x` member (43 characters, no padding).
    ///
    /// - Throws: ``AuthConfigurationError`` unless `x` is base64url of exactly 32 bytes.
    public static func eddsa(x: String, kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        guard let raw = Base64Text.decode(x, .urlUnpadded) else {
            throw AuthConfigurationError(.invalidPublicKey, "JWT EdDSA key \(describe(kid)): x is not unpadded base64url")
        }
        return try eddsa(x: raw, kid: kid)
    }

    /// An Ed25519 public key.
    public static func eddsa(publicKey: Curve25519.Signing.PublicKey, kid: String? = nil) throws(AuthConfigurationError) -> JWTVerificationKey {
        try JWTVerificationKey(algorithm: .eddsa, kid: kid, material: .ed25519(EdDSA.PublicKey(backing: publicKey)))
    }

    private static func describe(_ kid: String?) -> String {
        kid.map { "kid \($0.debugDescription)" } ?? "(no kid)"
    }
}
