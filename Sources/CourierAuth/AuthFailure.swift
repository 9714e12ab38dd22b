import CourierWire

/// Why a handshake's proof of identity was rejected.
///
/// `code` is the 2xx error code (`docs/PROTOCOL.md` §9.2) the server sends in the
/// `Error` message that precedes `Close 4004`; `reason` is a short human-readable
/// explanation suitable for that message and for logs.
///
/// `reason` never contains the token, a key, a MAC or any other secret, and does not
/// echo arbitrary client input.
public struct AuthFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The protocol error code (201–209).
    public let code: ErrorCode
    /// A human-readable explanation that is safe to send to the client and to log.
    public let reason: String

    /// Creates a failure with `code` and `reason`.
    public init(code: ErrorCode, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}

extension AuthFailure {
    static func unknownKey(_ reason: String) -> AuthFailure { AuthFailure(code: .unknownKey, reason: reason) }
    static func badProof(_ reason: String) -> AuthFailure { AuthFailure(code: .badProof, reason: reason) }
    static func tokenInvalid(_ reason: String) -> AuthFailure { AuthFailure(code: .tokenInvalid, reason: reason) }
    static func tokenExpired(_ reason: String) -> AuthFailure { AuthFailure(code: .tokenExpired, reason: reason) }
    static func tokenNotYetValid(_ reason: String) -> AuthFailure { AuthFailure(code: .tokenNotYetValid, reason: reason) }
    static func wrongAudience(_ reason: String) -> AuthFailure { AuthFailure(code: .tokenWrongAudience, reason: reason) }
    static func wrongIssuer(_ reason: String) -> AuthFailure { AuthFailure(code: .tokenWrongIssuer, reason: reason) }
    static func algorithmNotAllowed(_ reason: String) -> AuthFailure { AuthFailure(code: .algorithmNotAllowed, reason: reason) }
    static func challengeReplayed(_ reason: String) -> AuthFailure { AuthFailure(code: .challengeReplayed, reason: reason) }
}
