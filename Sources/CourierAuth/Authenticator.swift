import CourierWire
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks a Handshake's proof of identity (`docs/PROTOCOL.md` §11) and yields the
/// authenticated ``Principal`` or the ``AuthFailure`` to report.
///
/// One instance serves every connection of a server and is safe to share between
/// tasks. It never reads the wall clock: callers pass `now`, which keeps JWT time
/// checks deterministic and testable.
///
/// ```swift
/// let authenticator = await Authenticator(configuration: configuration)
/// switch await authenticator.authenticate(handshake, nonce: challengeNonce, now: .now) {
/// case .success(let principal): ...
/// case .failure(let failure): // send Error(failure.code, failure.reason), then Close 4004
/// }
/// ```
public final class Authenticator: Sendable {
    /// The configuration this authenticator was built from.
    public let configuration: AuthConfiguration
    private let jwt: JWTVerifier
    private let replayGuard: Mutex<ReplayGuard>

    /// Creates an authenticator. Asynchronous because jwt-kit's key collections are actors.
    public init(configuration: AuthConfiguration) async {
        self.configuration = configuration
        self.jwt = await JWTVerifier(configuration: configuration)
        self.replayGuard = Mutex(ReplayGuard(capacity: configuration.replayGuardCapacity))
    }

    /// Authenticates `handshake` against the Challenge's `nonce`.
    ///
    /// - Parameters:
    ///   - handshake: The client's Handshake; only its `auth` field is examined (resume
    ///     tokens are checked separately with ``ResumeTokens``).
    ///   - nonce: The nonce this connection's Challenge carried.
    ///   - now: The current time, for JWT `exp` and `nbf`.
    /// - Returns: The principal, or the failure whose `code` goes in the `Error` message.
    public func authenticate(_ handshake: Handshake, nonce: [UInt8], now: Date) async -> Result<Principal, AuthFailure> {
        switch handshake.auth {
        case .hmac(let keyID, let mac):
            return authenticateHMAC(keyID: keyID, mac: Array(mac.readableBytesView), nonce: nonce)
        case .jwt(let token):
            return await authenticateJWT(token, now: now)
        }
    }

    /// Checks an HMAC proof (§11.1).
    ///
    /// Unknown key id: 201. A proof that does not verify over `nonce`: 209 when it is
    /// one this authenticator recently accepted for the same key id (a proof replayed
    /// from another connection), else 202. An accepted proof is remembered.
    public func authenticateHMAC(keyID: String, mac: [UInt8], nonce: [UInt8]) -> Result<Principal, AuthFailure> {
        guard let credential = configuration.hmacKeys[keyID] else {
            return .failure(.unknownKey("HMAC key id is not configured"))
        }
        if HMACProof.isValid(mac, key: credential.key, nonce: nonce, keyID: keyID) {
            replayGuard.withLock { $0.remember(keyID: keyID, mac: mac) }
            return .success(credential.principal)
        }
        if replayGuard.withLock({ $0.contains(keyID: keyID, mac: mac) }) {
            return .failure(.challengeReplayed("HMAC proof was computed over an earlier challenge"))
        }
        return .failure(.badProof("HMAC proof does not verify"))
    }

    /// Checks a compact JWS (§11.2) at time `now`.
    ///
    /// `alg` not configured (including `none`): 208. Malformed, bad signature, or
    /// missing `exp` / `sub` (or `sub` over 128 bytes): 203. Then `exp` in the past:
    /// 204; `nbf` in the future: 205 (both with the configured leeway); `aud` without
    /// the configured audience: 206; `iss` other than the configured issuer: 207.
    public func authenticateJWT(_ token: String, now: Date) async -> Result<Principal, AuthFailure> {
        await jwt.verify(token, now: now)
    }
}
