import CourierWire
import Crypto
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Mints HS256 JWTs that an ``Authenticator`` configured with the same secret accepts:
/// for `courier token`, local development and tests. Production tokens normally come
/// from an identity provider (ES256 or EdDSA).
public enum DevelopmentToken {
    /// Mints an HS256 token with the claims of `docs/PROTOCOL.md` §11.2.
    ///
    /// The token carries `sub`, `iat` = `now` and `exp` = `now + lifetime` (both whole
    /// seconds, rounded down), `publish` and `subscribe` when not empty, and `aud` and
    /// `iss` when given. Its header is `{"alg":"HS256","typ":"JWT"}` plus `kid` when given.
    ///
    /// - Parameters:
    ///   - secret: The HS256 secret, at least ``AuthConfiguration/minimumSecretLength`` bytes.
    ///   - subject: The user id, 1 to 128 UTF-8 bytes.
    ///   - kid: An optional key id for the header.
    /// - Throws: ``AuthConfigurationError`` for a short secret or an invalid subject;
    ///   jwt-kit's errors if signing fails.
    public static func mint(
        secret: [UInt8],
        subject: String,
        publish: [String] = [],
        subscribe: [String] = [],
        audience: String? = nil,
        issuer: String? = nil,
        lifetime: Duration,
        now: Date,
        kid: String? = nil
    ) async throws -> String {
        guard secret.count >= AuthConfiguration.minimumSecretLength else {
            throw AuthConfigurationError(
                .secretTooShort,
                "token secret is \(secret.count) bytes, at least \(AuthConfiguration.minimumSecretLength) are required"
            )
        }
        guard !subject.isEmpty, subject.utf8.count <= FieldLimits.userID else {
            throw AuthConfigurationError(.invalidClaimSetting, "the subject must be 1 to \(FieldLimits.userID) UTF-8 bytes")
        }
        let issuedAt = now.timeIntervalSince1970.rounded(.down)
        let parts = lifetime.components
        let expiresAt = (now.timeIntervalSince1970 + Double(parts.seconds) + Double(parts.attoseconds) / 1e18).rounded(.down)
        let claims = CourierClaims(
            sub: subject,
            exp: expiresAt,
            iat: issuedAt,
            aud: audience.map { [$0] },
            iss: issuer,
            publish: publish.isEmpty ? nil : publish,
            subscribe: subscribe.isEmpty ? nil : subscribe
        )
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
        var header = JWTHeader()
        header.alg = "HS256"
        header.typ = "JWT"
        if let kid { header.kid = kid }
        return try await keys.sign(claims, header: header)
    }
}
