import CourierWire
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Issues and checks this server's resume tokens (`docs/PROTOCOL.md` §11.3):
///
/// ```
/// token     = 0x01 ‖ sessionId (u64 BE) ‖ issuedAt (u64 µs BE) ‖ expiresAt (u64 µs BE) ‖ tag (16 bytes)
/// tag       = first 16 bytes of HMAC-SHA256(resumeKey, the 25 bytes before it)
/// resumeKey = HKDF-SHA256(ikm: server secret, salt: "courier-resume", info: "resume-token-v1", 32 bytes)
/// ```
///
/// Times are microseconds since the Unix epoch. A token checks the tag (in constant
/// time), the session id and the expiry; whether the session still exists and belongs
/// to the same user is for the session layer to decide.
public struct ResumeTokens: Sendable {
    /// The format version byte.
    public static let version: UInt8 = 0x01
    /// Total token length in bytes.
    public static let length = 41
    /// The length of the authenticated prefix (version, session id, two times).
    static let bodyLength = 25
    /// The length of the truncated HMAC tag.
    static let tagLength = 16

    private let key: SymmetricKey

    /// Derives the resume key from the server secret.
    ///
    /// - Throws: ``AuthConfigurationError`` when `secret` is shorter than
    ///   ``AuthConfiguration/minimumSecretLength`` bytes.
    public init(secret: [UInt8]) throws(AuthConfigurationError) {
        guard secret.count >= AuthConfiguration.minimumSecretLength else {
            throw AuthConfigurationError(
                .secretTooShort,
                "resume-token secret is \(secret.count) bytes, at least \(AuthConfiguration.minimumSecretLength) are required"
            )
        }
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret),
            salt: Array("courier-resume".utf8),
            info: Array("resume-token-v1".utf8),
            outputByteCount: 32
        )
    }

    /// A token for `sessionID`, issued at `now` and valid for `lifetime`.
    ///
    /// Times before the epoch count as 0 and times past the u64 range saturate; a
    /// negative `lifetime` yields a token that has already expired.
    public func issue(sessionID: UInt64, now: Date, lifetime: Duration) -> [UInt8] {
        let issuedAt = Self.microseconds(now)
        let expiresAt = issuedAt.addingSaturating(Self.microseconds(lifetime))
        var token: [UInt8] = [Self.version]
        token.reserveCapacity(Self.length)
        token.appendBigEndian(sessionID)
        token.appendBigEndian(issuedAt)
        token.appendBigEndian(expiresAt)
        token.append(contentsOf: tag(token))
        return token
    }

    /// Checks `token` for a resume of `sessionID` at `now`.
    ///
    /// - Returns: `.invalidToken` for a wrong length, version or tag, or a token of
    ///   another session; `.expired` when `now` is at or past its expiry.
    public func verify(_ token: [UInt8], sessionID: UInt64, now: Date) -> Result<Void, HandshakeResponse.ResumeFailure> {
        guard token.count == Self.length else { return .failure(.invalidToken) }
        let body = token[..<Self.bodyLength]
        // The tag covers the version byte too; check it before trusting any field.
        guard ConstantTime.equals(tag(body), token[Self.bodyLength...]) else { return .failure(.invalidToken) }
        guard token[0] == Self.version else { return .failure(.invalidToken) }
        guard token.readBigEndianUInt64(at: 1) == sessionID else { return .failure(.invalidToken) }
        let expiresAt = token.readBigEndianUInt64(at: 17)
        guard Self.microseconds(now) < expiresAt else { return .failure(.expired) }
        return .success(())
    }

    private func tag(_ body: some Collection<UInt8>) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array(body))
        return Array(Array(hmac.finalize()).prefix(Self.tagLength))
    }

    /// Microseconds since the epoch, clamped to the u64 range.
    static func microseconds(_ date: Date) -> UInt64 {
        let value = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        guard value > 0 else { return 0 }  // also NaN
        guard value < 0x1p64 else { return .max }
        return UInt64(value)
    }

    /// Microseconds in `duration`, clamped to the u64 range (negative → 0).
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, !(seconds == 0 && attoseconds < 0) else { return 0 }
        let whole = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000)
        guard !whole.overflow else { return .max }
        return whole.partialValue.addingSaturating(UInt64(max(0, attoseconds / 1_000_000_000_000)))
    }
}

extension UInt64 {
    fileprivate func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// Reads 8 bytes at `offset`; the caller has checked the length.
    fileprivate func readBigEndianUInt64(at offset: Int) -> UInt64 {
        self[offset..<(offset + 8)].reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
