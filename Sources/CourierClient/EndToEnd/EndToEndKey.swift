import Crypto
import Foundation
import NIOCore

/// Optional end-to-end payload encryption (`docs/PROTOCOL.md` §19): a
/// ChaCha20-Poly1305 key that two parties derive from an X25519 key agreement,
/// bound to both public keys and an application context (for example the topic).
/// The server only ever routes the sealed bytes; it never sees a key.
///
/// ```swift
/// let key = try EndToEndKey(privateKey: mine, peerPublicKey: theirs, context: "chat.alice-bob")
/// try await client.send(sealing: ByteBuffer(string: "hi"), with: key, to: .topic("chat.alice-bob"))
/// // the other side, with its own private key and this side's public key:
/// let plaintext = try message.open(with: key)
/// ```
///
/// Sealed layout: `nonce (12) ‖ ciphertext ‖ tag (16)`; the nonce is random per
/// message, so one key seals at most about 2^32 messages (NIST SP 800-38D's bound for
/// random 96-bit nonces) before the parties should agree on a new context.
public struct EndToEndKey: Sendable {
    /// The version label of the construction; it is the HKDF salt.
    public static let label = "courier-e2e-v1"
    /// Bytes a sealed payload adds to its plaintext: a 12-byte nonce and a 16-byte tag.
    public static let overhead = 28
    static let nonceBytes = 12

    let key: SymmetricKey

    /// A key the application distributed itself (32 bytes; for example one key for
    /// a group topic, sent to each member sealed with their pairwise key).
    public init(symmetricKey: SymmetricKey) {
        precondition(symmetricKey.bitCount == 256, "an end-to-end key is 256 bits")
        self.key = symmetricKey
    }

    /// Derives the key both parties get from their own private key and the other's
    /// public key:
    ///
    ///     shared = X25519(privateKey, peerPublicKey)
    ///     key    = HKDF-SHA256(ikm: shared, salt: "courier-e2e-v1",
    ///                          info: min(pkA, pkB) ‖ max(pkA, pkB) ‖ UTF-8(context), 32 bytes)
    ///
    /// where the public keys are the raw 32-byte X25519 keys ordered bytewise, so both
    /// sides compute the same info.
    public init(
        privateKey: Curve25519.KeyAgreement.PrivateKey, peerPublicKey: Curve25519.KeyAgreement.PublicKey, context: String
    ) throws(EndToEndError) {
        let shared: SharedSecret
        do {
            shared = try privateKey.sharedSecretFromKeyAgreement(with: peerPublicKey)
        } catch {
            throw .keyAgreementFailed("\(error)")
        }
        // X25519 with a low-order public key yields all zeros: no secret at all.
        let isZero = shared.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
        guard !isZero else { throw .keyAgreementFailed("the peer's public key is a low-order point") }
        let info = Self.info(privateKey.publicKey.rawRepresentation, peerPublicKey.rawRepresentation, context: context)
        self.key = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: Array(Self.label.utf8), sharedInfo: info, outputByteCount: 32
        )
    }

    /// `min(a, b) ‖ max(a, b) ‖ UTF-8(context)`, the keys compared bytewise.
    static func info(_ a: Data, _ b: Data, context: String) -> [UInt8] {
        let first = Array(a)
        let second = Array(b)
        let ordered = first.lexicographicallyPrecedes(second) ? first + second : second + first
        return ordered + Array(context.utf8)
    }

    /// Seals `plaintext` under a fresh random nonce: `nonce ‖ ciphertext ‖ tag`.
    public func seal(_ plaintext: ByteBuffer) throws(EndToEndError) -> ByteBuffer {
        try seal(plaintext, nonce: ChaChaPoly.Nonce())
    }

    /// Seals with a given 12-byte nonce. For test vectors only: a nonce MUST NOT be
    /// used twice with one key.
    public func seal(_ plaintext: ByteBuffer, nonce: [UInt8]) throws(EndToEndError) -> ByteBuffer {
        guard nonce.count == Self.nonceBytes, let nonce = try? ChaChaPoly.Nonce(data: nonce) else {
            throw .invalidNonce(nonce.count)
        }
        return try seal(plaintext, nonce: nonce)
    }

    private func seal(_ plaintext: ByteBuffer, nonce: ChaChaPoly.Nonce) throws(EndToEndError) -> ByteBuffer {
        do {
            let box = try ChaChaPoly.seal(Array(plaintext.readableBytesView), using: key, nonce: nonce)
            return box.combined.withUnsafeBytes { ByteBuffer(bytes: $0) }
        } catch {
            throw .sealFailed("\(error)")
        }
    }

    /// Opens `nonce ‖ ciphertext ‖ tag`; throws `authenticationFailed` when a bit was
    /// changed or the key is not the one it was sealed with.
    public func open(_ sealed: ByteBuffer) throws(EndToEndError) -> ByteBuffer {
        guard sealed.readableBytes >= Self.overhead else { throw .tooShort(sealed.readableBytes) }
        let box: ChaChaPoly.SealedBox
        do {
            box = try ChaChaPoly.SealedBox(combined: Array(sealed.readableBytesView))
        } catch {
            throw .tooShort(sealed.readableBytes)
        }
        do {
            let plaintext = try ChaChaPoly.open(box, using: key)
            return plaintext.withUnsafeBytes { ByteBuffer(bytes: $0) }
        } catch {
            throw .authenticationFailed
        }
    }
}
