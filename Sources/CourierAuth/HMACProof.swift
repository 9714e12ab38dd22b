import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The HMAC challenge proof of `docs/PROTOCOL.md` §11.1 (authMethod 1):
///
/// ```
/// mac = HMAC-SHA256(key[keyId], "courier-hmac-v1" ‖ 0x00 ‖ nonce ‖ UTF-8(keyId))
/// ```
///
/// Clients use ``compute(key:nonce:keyID:)`` to answer a `Challenge`; servers use
/// ``isValid(_:key:nonce:keyID:)``, which compares in constant time.
public enum HMACProof {
    /// The domain-separation label that starts every proof's input.
    public static let label = "courier-hmac-v1"
    /// The length of a proof in bytes (HMAC-SHA256).
    public static let length = 32

    /// Computes the proof for `nonce` (the Challenge's nonce) under the key `keyID`.
    public static func compute(key: SymmetricKey, nonce: some ContiguousBytes, keyID: String) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array(label.utf8))
        hmac.update(data: [0x00] as [UInt8])
        nonce.withUnsafeBytes { hmac.update(data: $0) }
        hmac.update(data: Array(keyID.utf8))
        return Array(hmac.finalize())
    }

    /// True when `mac` is the proof for `nonce` under `key`/`keyID`.
    ///
    /// The comparison takes the same time wherever a forgery differs from the
    /// expected proof. A `mac` of the wrong length is rejected.
    public static func isValid(_ mac: some ContiguousBytes, key: SymmetricKey, nonce: some ContiguousBytes, keyID: String) -> Bool {
        let expected = compute(key: key, nonce: nonce, keyID: keyID)
        return mac.withUnsafeBytes { ConstantTime.equals(expected, $0) }
    }
}
