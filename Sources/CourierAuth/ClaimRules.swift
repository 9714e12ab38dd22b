import CourierWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claim checks of `docs/PROTOCOL.md` §11.2, applied after the signature has
/// verified, with the caller's clock and the configured leeway.
///
/// Order: structural requirements first (`exp` and `sub` present, `sub` ≤ 128 bytes:
/// 203), then `exp` (204), `nbf` (205), `aud` (206), `iss` (207).
struct ClaimRules: Sendable {
    let audience: String?
    let issuer: String?
    /// Allowed clock skew in seconds.
    let leeway: Double

    init(audience: String?, issuer: String?, leeway: Duration) {
        self.audience = audience
        self.issuer = issuer
        let parts = leeway.components
        self.leeway = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    func principal(from claims: CourierClaims, now: Date) -> Result<Principal, AuthFailure> {
        guard let exp = claims.exp else {
            return .failure(.tokenInvalid("JWT has no exp claim"))
        }
        guard let subject = claims.sub, !subject.isEmpty else {
            return .failure(.tokenInvalid("JWT has no sub claim"))
        }
        guard subject.utf8.count <= FieldLimits.userID else {
            return .failure(.tokenInvalid("JWT sub is longer than \(FieldLimits.userID) bytes"))
        }
        let clock = now.timeIntervalSince1970
        // Valid while now < exp (+ leeway); RFC 7519 §4.1.4.
        guard clock < exp + leeway else {
            return .failure(.tokenExpired("JWT expired at \(Self.format(exp))"))
        }
        // Valid from nbf (− leeway); RFC 7519 §4.1.5.
        if let nbf = claims.nbf, clock + leeway < nbf {
            return .failure(.tokenNotYetValid("JWT is not valid before \(Self.format(nbf))"))
        }
        if let audience {
            guard let aud = claims.aud, aud.contains(audience) else {
                return .failure(.wrongAudience("JWT aud does not name this server"))
            }
        }
        if let issuer {
            guard claims.iss == issuer else {
                return .failure(.wrongIssuer("JWT iss is not the configured issuer"))
            }
        }
        return .success(Principal(userID: subject, publish: claims.publish ?? [], subscribe: claims.subscribe ?? []))
    }

    /// Seconds since the epoch as an integer when finite and in range (times come from
    /// verified tokens, but a reason must never trap on an odd value).
    private static func format(_ seconds: Double) -> String {
        if let whole = Int64(exactly: seconds.rounded(.down)) { return "\(whole) (seconds since the epoch)" }
        return "an out-of-range time"
    }
}
