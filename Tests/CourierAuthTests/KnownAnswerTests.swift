import CourierAuth
import CourierWire
import Crypto
import Foundation
import Testing

/// Known-answer vectors. The expected values were computed once with an independent
/// Python 3.11 script using only the standard `hmac` and `hashlib` modules (HKDF
/// written out per RFC 5869 on top of `hmac`), not with this module:
///
/// ```python
/// import hmac, hashlib, struct
/// def hkdf_sha256(ikm, salt, info, length):
///     prk = hmac.new(salt, ikm, hashlib.sha256).digest()
///     okm, t, i = b"", b"", 1
///     while len(okm) < length:
///         t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest(); okm += t; i += 1
///     return okm[:length]
/// key = bytes(range(32)); nonce = bytes(range(0xa0, 0xb0))
/// hmac.new(key, b"courier-hmac-v1\x00" + nonce + b"device-42", hashlib.sha256).hexdigest()
/// rk = hkdf_sha256(bytes(range(32)), b"courier-resume", b"resume-token-v1", 32)
/// body = b"\x01" + struct.pack(">QQQ", 0x0123456789ABCDEF, 1_700_000_000_000_000, 1_700_000_300_000_000)
/// (body + hmac.new(rk, body, hashlib.sha256).digest()[:16]).hex()
/// ```
@Suite("Known-answer vectors (cross-checked with Python)")
struct KnownAnswerTests {
    @Test func hmacProofVector() {
        let mac = HMACProof.compute(key: SymmetricKey(data: Array(0..<32) as [UInt8]), nonce: Array(0xA0..<0xB0) as [UInt8], keyID: "device-42")
        #expect(hexString(mac) == "d6029206c4365d5a3e4e344dee3c2e24b499675156a259367d1e626fc9e46e66")
    }

    @Test func resumeTokenVector() throws {
        let tokens = try ResumeTokens(secret: Array(0..<32))
        let token = tokens.issue(sessionID: 0x0123_4567_89AB_CDEF, now: Date(timeIntervalSince1970: 1_700_000_000), lifetime: .seconds(300))
        let expected = "010123456789abcdef00060a24181e400000060a2429ffe300d00522f87e34988346b711ea2304cee4"
        #expect(hexString(token) == expected)
        // And the vector verifies, then expires exactly 300 s later.
        let vector = hexBytes(expected)
        #expect(tokens.verify(vector, sessionID: 0x0123_4567_89AB_CDEF, now: Date(timeIntervalSince1970: 1_700_000_299)).success != nil)
        #expect(tokens.verify(vector, sessionID: 0x0123_4567_89AB_CDEF, now: Date(timeIntervalSince1970: 1_700_000_300)).failure == .expired)
    }
}
