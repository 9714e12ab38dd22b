/// Everything an ``Authenticator`` needs: HMAC keys, JWT keys and the JWT claim rules
/// of `docs/PROTOCOL.md` §11.
///
/// All validation happens here, at construction, so that a misconfigured server fails
/// at start-up with a message naming the key rather than at a client's first handshake.
public struct AuthConfiguration: Sendable {
    /// The shortest secret accepted for HMAC proofs, HS256 and resume tokens, in bytes.
    public static let minimumSecretLength = 32
    /// The clock skew allowed for `exp` and `nbf` unless configured otherwise (§11.2).
    public static let defaultLeeway: Duration = .seconds(5)
    /// How many accepted HMAC proofs are remembered to recognise replays (209).
    public static let defaultReplayGuardCapacity = 4096

    /// HMAC credentials by key id.
    public let hmacKeys: [String: HMACCredential]
    /// JWT verification keys, in configuration order.
    public let jwtKeys: [JWTVerificationKey]
    /// When set, a JWT's `aud` (string or array) must contain it, else 206.
    public let audience: String?
    /// When set, a JWT's `iss` must equal it, else 207.
    public let issuer: String?
    /// The clock skew allowed when checking `exp` and `nbf`.
    public let leeway: Duration
    /// How many accepted (key id, proof) pairs the replay guard remembers.
    public let replayGuardCapacity: Int

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - hmacKeys: HMAC credentials; key ids must be unique.
    ///   - jwtKeys: JWT keys; non-nil kids must be unique.
    ///   - audience: The audience tokens must name, or nil to not check `aud`.
    ///   - issuer: The issuer tokens must name, or nil to not check `iss`.
    ///   - leeway: Allowed clock skew; not negative.
    ///   - replayGuardCapacity: At least 1.
    /// - Throws: ``AuthConfigurationError`` naming the offending key id or setting.
    public init(
        hmacKeys: [HMACCredential] = [],
        jwtKeys: [JWTVerificationKey] = [],
        audience: String? = nil,
        issuer: String? = nil,
        leeway: Duration = AuthConfiguration.defaultLeeway,
        replayGuardCapacity: Int = AuthConfiguration.defaultReplayGuardCapacity
    ) throws(AuthConfigurationError) {
        var byID: [String: HMACCredential] = [:]
        for credential in hmacKeys {
            guard byID[credential.keyID] == nil else {
                throw AuthConfigurationError(.duplicateKeyID, "HMAC key id \(credential.keyID.debugDescription) is configured more than once")
            }
            byID[credential.keyID] = credential
        }
        var kids: Set<String> = []
        for key in jwtKeys {
            guard let kid = key.kid else { continue }
            guard kids.insert(kid).inserted else {
                throw AuthConfigurationError(.duplicateKeyID, "JWT kid \(kid.debugDescription) is configured more than once")
            }
        }
        if let audience, audience.isEmpty {
            throw AuthConfigurationError(.invalidClaimSetting, "the JWT audience must not be empty (use nil to not check aud)")
        }
        if let issuer, issuer.isEmpty {
            throw AuthConfigurationError(.invalidClaimSetting, "the JWT issuer must not be empty (use nil to not check iss)")
        }
        guard leeway >= .zero else {
            throw AuthConfigurationError(.invalidLeeway, "the JWT leeway must not be negative, got \(leeway)")
        }
        guard replayGuardCapacity >= 1 else {
            throw AuthConfigurationError(.invalidCapacity, "the replay-guard capacity must be at least 1, got \(replayGuardCapacity)")
        }
        self.hmacKeys = byID
        self.jwtKeys = jwtKeys
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self.replayGuardCapacity = replayGuardCapacity
    }

    /// The JWT algorithms accepted: those with at least one configured key.
    public var allowedAlgorithms: Set<JWTVerificationKey.Algorithm> {
        Set(jwtKeys.map(\.algorithm))
    }
}
