import CourierClient
import Crypto
import Foundation
import NIOCore
import Testing

/// The end-to-end construction (`docs/PROTOCOL.md` §19) against the vectors that the
/// independent Python implementation wrote (`scripts/gen_e2e_vectors.py`), and its
/// failures: a changed bit, another key, a short payload, a low-order public key.
@Suite("End-to-end payload encryption (EndToEndKey)")
struct EndToEndKeyTests {
    struct Vector {
        var name: String
        var privateKeyA: [UInt8], publicKeyA: [UInt8], privateKeyB: [UInt8], publicKeyB: [UInt8]
        var context: String
        var key: [UInt8], nonce: [UInt8], plaintext: [UInt8], sealed: [UInt8]
    }

    static func vectors() throws -> [Vector] {
        let path = String(#filePath).split(separator: "/").dropLast(2).joined(separator: "/")
        let data = try Data(contentsOf: URL(fileURLWithPath: "/" + path + "/Vectors/e2e-vectors.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["format"] as? Int == 1)
        let list = try #require(root["vectors"] as? [[String: Any]])
        return try list.map { entry in
            func hex(_ field: String) throws -> [UInt8] {
                let text = try #require(entry[field] as? String)
                return try #require(Self.bytes(hex: text))
            }
            return Vector(
                name: try #require(entry["name"] as? String),
                privateKeyA: try hex("private_key_a"), publicKeyA: try hex("public_key_a"),
                privateKeyB: try hex("private_key_b"), publicKeyB: try hex("public_key_b"),
                context: try #require(entry["context"] as? String),
                key: try hex("key"), nonce: try hex("nonce"), plaintext: try hex("plaintext"), sealed: try hex("sealed")
            )
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        var result: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = nibble(high), let l = nibble(low) else { return nil }
            result.append(h << 4 | l)
        }
        return result
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    @Test func bothSidesDeriveTheVectorKeyAndSealToTheVectorBytes() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count >= 3)
        for vector in vectors {
            let a = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: vector.privateKeyA)
            let b = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: vector.privateKeyB)
            #expect(Array(a.publicKey.rawRepresentation) == vector.publicKeyA, "\(vector.name)")
            #expect(Array(b.publicKey.rawRepresentation) == vector.publicKeyB, "\(vector.name)")
            let fromA = try EndToEndKey(privateKey: a, peerPublicKey: b.publicKey, context: vector.context)
            let fromB = try EndToEndKey(privateKey: b, peerPublicKey: a.publicKey, context: vector.context)
            let given = EndToEndKey(symmetricKey: SymmetricKey(data: vector.key))
            let plaintext = ByteBuffer(bytes: vector.plaintext)
            for key in [fromA, fromB, given] {
                let sealed = try key.seal(plaintext, nonce: vector.nonce)
                #expect(Array(sealed.readableBytesView) == vector.sealed, "\(vector.name)")
                #expect(try key.open(ByteBuffer(bytes: vector.sealed)) == plaintext, "\(vector.name)")
            }
        }
    }

    @Test func randomNoncesMakeEverySealDifferentAndBothSidesOpenIt() throws {
        let (alice, bob) = (Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey())
        let aliceKey = try EndToEndKey(privateKey: alice, peerPublicKey: bob.publicKey, context: "chat.1")
        let bobKey = try EndToEndKey(privateKey: bob, peerPublicKey: alice.publicKey, context: "chat.1")
        let plaintext = ByteBuffer(string: "the same words twice")
        let first = try aliceKey.seal(plaintext)
        let second = try aliceKey.seal(plaintext)
        #expect(first != second)
        #expect(first.readableBytes == plaintext.readableBytes + EndToEndKey.overhead)
        #expect(try bobKey.open(first) == plaintext)
        #expect(try bobKey.open(second) == plaintext)
    }

    @Test func oneFlippedBitAnywhereFailsToOpen() throws {
        let key = EndToEndKey(symmetricKey: SymmetricKey(size: .bits256))
        let sealed = try key.seal(ByteBuffer(string: "do not touch"))
        for index in 0..<sealed.readableBytes {  // nonce, ciphertext and tag alike
            var tampered = Array(sealed.readableBytesView)
            tampered[index] ^= 0x01
            #expect(throws: EndToEndError.authenticationFailed) { try key.open(ByteBuffer(bytes: tampered)) }
        }
    }

    @Test func anotherKeyOrAnotherContextFailsToOpen() throws {
        let (alice, bob, eve) = (Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey())
        let key = try EndToEndKey(privateKey: alice, peerPublicKey: bob.publicKey, context: "chat.1")
        let sealed = try key.seal(ByteBuffer(string: "for bob"))
        let eves = try EndToEndKey(privateKey: eve, peerPublicKey: alice.publicKey, context: "chat.1")
        let otherTopic = try EndToEndKey(privateKey: bob, peerPublicKey: alice.publicKey, context: "chat.2")
        #expect(throws: EndToEndError.authenticationFailed) { try eves.open(sealed) }
        #expect(throws: EndToEndError.authenticationFailed) { try otherTopic.open(sealed) }
        let error = #expect(throws: EndToEndError.self) { try eves.open(sealed) }
        #expect(error?.description.contains("another key") == true)
    }

    @Test func aPayloadShorterThanNonceAndTagIsRejected() throws {
        let key = EndToEndKey(symmetricKey: SymmetricKey(size: .bits256))
        #expect(throws: EndToEndError.tooShort(27)) { try key.open(ByteBuffer(repeating: 0, count: 27)) }
        #expect(throws: EndToEndError.invalidNonce(8)) { try key.seal(ByteBuffer(), nonce: [0, 0, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func aLowOrderPublicKeyIsRefused() throws {
        // The all-zero u-coordinate is a small-order point: X25519 gives 0 for every private key.
        let zero = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        #expect(throws: EndToEndError.self) {
            try EndToEndKey(privateKey: Curve25519.KeyAgreement.PrivateKey(), peerPublicKey: zero, context: "x")
        }
    }
}
