import CourierClient
import CourierServer
import CourierSession
import CourierWire
import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// End-to-end payload encryption through a real server (`docs/PROTOCOL.md` §19): two
/// clients agree on a key, one publishes sealed, the other opens; a broker that
/// records everything the server routes proves the server only saw ciphertext.
@Suite("End-to-end encryption through the server", .serialized)
struct EndToEndEncryptionTests {
    /// Records every payload (and its flags) the server hands to the broker.
    final class PayloadRecordingBroker: Broker {
        let inner = InMemoryBroker(historyLimits: .init(maxMessages: 10))
        let routed = NIOLockedValueBox<[(flags: MessageFlags, payload: [UInt8])]>([])

        func setSink(_ sink: @escaping @Sendable ([BrokerPublication]) -> Void) { inner.setSink(sink) }

        func publish(_ batch: inout [BrokerPublication], now: SessionInstant) {
            let seen = batch.compactMap { publication -> (flags: MessageFlags, payload: [UInt8])? in
                switch publication.message.body {
                case .textData(let data), .binaryData(let data):
                    return (publication.message.header.flags, Array(data.payload.readableBytesView))
                default:
                    return nil
                }
            }
            routed.withLockedValue { $0 += seen }
            inner.publish(&batch, now: now)
        }

        func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
            inner.history(of: topic, recover: recover, now: now)
        }
    }

    func client(_ server: TestServer, user: String) async throws -> CourierClient {
        let token = try await server.token(user: user)
        let client = CourierClient(configuration: .init(host: "127.0.0.1", port: server.port, authentication: .jwt(token: token)), eventLoopGroup: server.group)
        try await client.connect()
        return client
    }

    /// The next `count` messages (one iterator per client: `messages` allows only one).
    func receive(_ count: Int, from client: CourierClient) async throws -> [IncomingMessage] {
        try await withThrowingTaskGroup(of: [IncomingMessage].self) { group in
            group.addTask {
                var received: [IncomingMessage] = []
                for try await message in client.messages {
                    received.append(message)
                    if received.count == count { break }
                }
                return received
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw TestFailure("fewer than \(count) messages within 10 s")
            }
            let result = try await group.next()!
            group.cancelAll()
            return result
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func twoClientsAgreeOnAKeyAndTheServerOnlyEverRoutesCiphertext() async throws {
        let broker = PayloadRecordingBroker()
        let server = try await TestServer.start(broker: broker)
        defer { Task { await server.stop() } }
        let alice = try await client(server, user: "alice")
        let bob = try await client(server, user: "bob")
        // Each side has only its own private key and the other's public key.
        let (alicePrivate, bobPrivate) = (Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey())
        let topic = "secret.alice-bob"
        let aliceKey = try EndToEndKey(privateKey: alicePrivate, peerPublicKey: bobPrivate.publicKey, context: topic)
        let bobKey = try EndToEndKey(privateKey: bobPrivate, peerPublicKey: alicePrivate.publicKey, context: topic)
        _ = try await bob.subscribe(topic)

        let binary = Array("binary plaintext the server must never see".utf8)
        try await alice.send(sealing: ByteBuffer(bytes: binary), with: aliceKey, to: .topic(topic))
        // TextData: the server cannot check UTF-8 it cannot read (§7.9) and passes it on.
        let text = "texte clair, jamais vu du serveur ✓"
        try await alice.send(sealing: text, with: aliceKey, to: .topic(topic))
        // A payload the application sealed itself, sent with the flag.
        let own = Array("sealed by the app".utf8)
        try await alice.send(try aliceKey.seal(ByteBuffer(bytes: own)), to: .topic(topic), encrypted: true)

        let received = try await receive(3, from: bob)
        try #require(received.count == 3)
        let (first, second, third) = (received[0], received[1], received[2])
        #expect(first.type == .binaryData)
        #expect(first.flags.contains(.encrypted))
        #expect(first.text == nil)
        #expect(Array(try first.open(with: bobKey).readableBytesView) == binary)
        #expect(second.type == .textData)
        #expect(second.flags.contains(.encrypted))
        #expect(try second.openText(with: bobKey) == text)
        #expect(Array(try third.open(with: bobKey).readableBytesView) == own)

        let routed = broker.routed.withLockedValue { $0 }
        #expect(routed.count == 3)
        #expect(routed.allSatisfy { $0.flags.contains(.encrypted) }, "the ENCRYPTED flag is routed untouched")
        for plaintext in [binary, Array(text.utf8), own] {
            // Not the whole plaintext, nor any 8-byte piece of it.
            for start in stride(from: 0, through: plaintext.count - 8, by: 1) {
                let piece = Array(plaintext[start..<(start + 8)])
                #expect(!routed.contains { Self.contains($0.payload, piece) }, "the server saw plaintext: \(piece)")
            }
        }
        #expect(routed.map(\.payload.count) == [binary.count + 28, text.utf8.count + 28, own.count + 28])
        await alice.close()
        await bob.close()
    }

    @Test func aTamperedOrForeignPayloadFailsToOpenWithAClearError() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let alice = try await client(server, user: "alice")
        let bob = try await client(server, user: "bob")
        let (alicePrivate, bobPrivate, evePrivate) = (
            Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey(), Curve25519.KeyAgreement.PrivateKey()
        )
        let topic = "secret.tamper"
        let aliceKey = try EndToEndKey(privateKey: alicePrivate, peerPublicKey: bobPrivate.publicKey, context: topic)
        let bobKey = try EndToEndKey(privateKey: bobPrivate, peerPublicKey: alicePrivate.publicKey, context: topic)
        let eveKey = try EndToEndKey(privateKey: evePrivate, peerPublicKey: alicePrivate.publicKey, context: topic)
        _ = try await bob.subscribe(topic)

        // One bit flipped in the ciphertext on the way (here: before sending).
        var tampered = Array(try aliceKey.seal(ByteBuffer(string: "pay 10 to carol")).readableBytesView)
        tampered[14] ^= 0x04
        try await alice.send(ByteBuffer(bytes: tampered), to: .topic(topic), encrypted: true)
        // Sealed with the right key, to be opened with a wrong one.
        try await alice.send(sealing: ByteBuffer(string: "for bob only"), with: aliceKey, to: .topic(topic))
        // A plain message is not opened as if it were sealed.
        try await alice.send("plain", to: .topic(topic))
        let received = try await receive(3, from: bob)
        try #require(received.count == 3)
        let (changed, intact, plain) = (received[0], received[1], received[2])

        #expect(throws: EndToEndError.authenticationFailed) { try changed.open(with: bobKey) }
        let error = #expect(throws: EndToEndError.self) { try changed.open(with: bobKey) }
        #expect(error?.description.contains("changed on the way") == true)

        #expect(throws: EndToEndError.authenticationFailed) { try intact.open(with: eveKey) }
        #expect(String(buffer: try intact.open(with: bobKey)) == "for bob only")

        #expect(throws: EndToEndError.notEncrypted) { try plain.open(with: bobKey) }
        await alice.close()
        await bob.close()
    }
}
