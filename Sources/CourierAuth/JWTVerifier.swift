import CourierWire
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JWT verification (`docs/PROTOCOL.md` §11.2) in three steps:
///
/// 1. Parse the compact JWS and its protected header without any cryptography; refuse
///    an `alg` that no configured key has (`none`, HS384, RS256, …: 208).
/// 2. Verify the signature with jwt-kit, only against keys of that algorithm (chosen
///    by `kid` when the header has one), so that no key is ever used under another
///    algorithm than its own. Failure or malformed content: 203.
/// 3. Check the claims with ``ClaimRules`` against the caller's clock.
struct JWTVerifier: Sendable {
    private struct Entry: Sendable {
        let algorithm: JWTVerificationKey.Algorithm
        let kid: String?
        /// A collection holding just this key, as its default signer.
        let keys: JWTKeyCollection
    }

    private let entries: [Entry]
    private let allowed: Set<JWTVerificationKey.Algorithm>
    private let rules: ClaimRules

    init(configuration: AuthConfiguration) async {
        var entries: [Entry] = []
        for key in configuration.jwtKeys {
            let collection = JWTKeyCollection()
            switch key.material {
            case .hmac(let secret):
                await collection.add(hmac: secret, digestAlgorithm: .sha256)
            case .p256(let publicKey):
                await collection.add(ecdsa: publicKey)
            case .ed25519(let publicKey):
                await collection.add(eddsa: publicKey)
            }
            entries.append(Entry(algorithm: key.algorithm, kid: key.kid, keys: collection))
        }
        self.entries = entries
        self.allowed = configuration.allowedAlgorithms
        self.rules = ClaimRules(audience: configuration.audience, issuer: configuration.issuer, leeway: configuration.leeway)
    }

    func verify(_ token: String, now: Date) async -> Result<Principal, AuthFailure> {
        guard token.utf8.count <= FieldLimits.token else {
            return .failure(.tokenInvalid("JWT is longer than \(FieldLimits.token) bytes"))
        }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            return .failure(.tokenInvalid("JWT is not a compact JWS (header.payload.signature)"))
        }
        guard let header = JOSEHeader.decode(segment: segments[0]) else {
            return .failure(.tokenInvalid("JWT header is not base64url JSON with a string alg"))
        }
        guard let algorithm = JWTVerificationKey.Algorithm(rawValue: header.alg), allowed.contains(algorithm) else {
            return .failure(.algorithmNotAllowed("JWT alg \(Self.printable(header.alg)) is not allowed; accepted: \(acceptedList)"))
        }
        guard !header.hasCritical else {
            return .failure(.tokenInvalid("JWT header has critical extensions (crit), none of which are supported"))
        }
        guard Base64Text.decode(segments[1], .urlUnpadded) != nil, Base64Text.decode(segments[2], .urlUnpadded) != nil else {
            return .failure(.tokenInvalid("JWT payload or signature is not base64url"))
        }
        let candidates = self.candidates(for: algorithm, kid: header.kid)
        guard !candidates.isEmpty else {
            return .failure(.tokenInvalid("JWT kid names no configured \(algorithm.rawValue) key"))
        }
        for candidate in candidates {
            do {
                let claims = try await candidate.keys.verify(token, as: CourierClaims.self)
                return rules.principal(from: claims, now: now)
            } catch let error as JWTError where error.errorType == .malformedToken {
                // Thrown after the signature verified: the claims do not decode.
                return .failure(.tokenInvalid("JWT claims are malformed"))
            } catch {
                continue
            }
        }
        return .failure(.tokenInvalid("JWT signature does not verify"))
    }

    /// Keys of `algorithm`: with a `kid`, the key with that kid, else the keys without
    /// a kid (which accept any kid); without a `kid`, every key of the algorithm.
    private func candidates(for algorithm: JWTVerificationKey.Algorithm, kid: String?) -> [Entry] {
        let sameAlgorithm = entries.filter { $0.algorithm == algorithm }
        guard let kid else { return sameAlgorithm }
        let named = sameAlgorithm.filter { $0.kid == kid }
        return named.isEmpty ? sameAlgorithm.filter { $0.kid == nil } : named
    }

    private var acceptedList: String {
        allowed.isEmpty ? "none (no JWT keys configured)" : allowed.sorted().map(\.rawValue).joined(separator: ", ")
    }

    /// The client's `alg` value when it is a short plain token, so that reasons never
    /// carry arbitrary client text.
    private static func printable(_ alg: String) -> String {
        let plain = alg.utf8.count <= 16 && alg.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "+" || $0 == "_") }
        return plain && !alg.isEmpty ? alg.debugDescription : "(unprintable)"
    }
}
