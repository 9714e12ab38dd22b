import JWTKit

/// The JWT claims Courier reads (`docs/PROTOCOL.md` §11.2), decoded leniently as to
/// presence and strictly as to type: a present claim of the wrong JSON type makes the
/// token malformed (203); an absent required claim is reported by ``ClaimRules``.
///
/// `verify(using:)` is deliberately a no-op: jwt-kit calls it right after the
/// signature check, and ``ClaimRules`` then checks the claims itself against the
/// injected clock so that each failure gets its own error code.
struct CourierClaims: JWTPayload, Equatable {
    var sub: String?
    /// Seconds since the epoch.
    var exp: Double?
    /// Seconds since the epoch.
    var nbf: Double?
    /// Seconds since the epoch (informative; minted tokens carry it).
    var iat: Double?
    /// `aud` as a list whether the token carries a string or an array.
    var aud: [String]?
    var iss: String?
    var publish: [String]?
    var subscribe: [String]?

    init(
        sub: String? = nil, exp: Double? = nil, nbf: Double? = nil, iat: Double? = nil,
        aud: [String]? = nil, iss: String? = nil, publish: [String]? = nil, subscribe: [String]? = nil
    ) {
        self.sub = sub
        self.exp = exp
        self.nbf = nbf
        self.iat = iat
        self.aud = aud
        self.iss = iss
        self.publish = publish
        self.subscribe = subscribe
    }

    private enum CodingKeys: String, CodingKey {
        case sub, exp, nbf, iat, aud, iss, publish, subscribe
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sub = try container.decodeIfPresent(String.self, forKey: .sub)
        exp = try container.decodeIfPresent(Double.self, forKey: .exp)
        nbf = try container.decodeIfPresent(Double.self, forKey: .nbf)
        iat = try container.decodeIfPresent(Double.self, forKey: .iat)
        if let single = try? container.decodeIfPresent(String.self, forKey: .aud) {
            aud = [single]
        } else {
            aud = try container.decodeIfPresent([String].self, forKey: .aud)
        }
        iss = try container.decodeIfPresent(String.self, forKey: .iss)
        publish = try container.decodeIfPresent([String].self, forKey: .publish)
        subscribe = try container.decodeIfPresent([String].self, forKey: .subscribe)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sub, forKey: .sub)
        try Self.encodeTime(exp, forKey: .exp, in: &container)
        try Self.encodeTime(nbf, forKey: .nbf, in: &container)
        try Self.encodeTime(iat, forKey: .iat, in: &container)
        if let aud {
            if aud.count == 1 {
                try container.encode(aud[0], forKey: .aud)
            } else {
                try container.encode(aud, forKey: .aud)
            }
        }
        try container.encodeIfPresent(iss, forKey: .iss)
        try container.encodeIfPresent(publish, forKey: .publish)
        try container.encodeIfPresent(subscribe, forKey: .subscribe)
    }

    /// NumericDate: whole seconds as a JSON integer when exactly representable.
    private static func encodeTime(_ seconds: Double?, forKey key: CodingKeys, in container: inout KeyedEncodingContainer<CodingKeys>) throws {
        guard let seconds else { return }
        if let whole = Int64(exactly: seconds) {
            try container.encode(whole, forKey: key)
        } else {
            try container.encode(seconds, forKey: key)
        }
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        // Intentionally empty: see the type's documentation.
    }
}
