/// Why an end-to-end sealed payload could not be made or opened
/// (`docs/PROTOCOL.md` §19). A struct wrapping a private enum, so cases can be added.
public struct EndToEndError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case keyAgreementFailed(String)
        case tooShort(Int)
        case authenticationFailed
        case notEncrypted
        case invalidNonce(Int)
        case invalidUTF8
        case sealFailed(String)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// X25519 refused the peer's public key (a low-order point gives an all-zero secret).
    public static func keyAgreementFailed(_ detail: String) -> Self { Self(.keyAgreementFailed(detail)) }
    /// Shorter than a nonce and a tag (28 bytes): not a sealed payload.
    public static func tooShort(_ size: Int) -> Self { Self(.tooShort(size)) }
    /// The tag did not verify: the payload was changed, or sealed with another key.
    public static let authenticationFailed = Self(.authenticationFailed)
    /// The message does not carry the ENCRYPTED flag.
    public static let notEncrypted = Self(.notEncrypted)
    /// A nonce must be exactly 12 bytes.
    public static func invalidNonce(_ size: Int) -> Self { Self(.invalidNonce(size)) }
    /// A TextData payload opened to bytes that are not UTF-8.
    public static let invalidUTF8 = Self(.invalidUTF8)
    /// ChaCha20-Poly1305 could not seal (should not happen).
    public static func sealFailed(_ detail: String) -> Self { Self(.sealFailed(detail)) }

    public var description: String {
        switch base {
        case .keyAgreementFailed(let detail):
            return "end-to-end key agreement failed: \(detail)"
        case .tooShort(let size):
            return "not an end-to-end sealed payload: \(size) bytes, less than a 12-byte nonce and a 16-byte tag"
        case .authenticationFailed:
            return "the sealed payload does not authenticate: it was changed on the way, or sealed with another key"
        case .notEncrypted:
            return "the message is not end-to-end encrypted (no ENCRYPTED flag)"
        case .invalidNonce(let size):
            return "a ChaCha20-Poly1305 nonce is 12 bytes, not \(size)"
        case .invalidUTF8:
            return "the opened TextData payload is not valid UTF-8"
        case .sealFailed(let detail):
            return "sealing failed: \(detail)"
        }
    }
}
