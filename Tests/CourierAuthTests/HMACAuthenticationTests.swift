@testable import CourierAuth
import CourierWire
import Crypto
import Foundation
import Testing

@Suite("HMAC proofs (§11.1)")
struct HMACAuthenticationTests {
    static let secret: [UInt8] = Array(0..<32)
    static let principal = Principal(userID: "sensor-7", publish: ["telemetry.sensor-7"], subscribe: ["commands.sensor-7"])

    static func makeAuthenticator(capacity: Int = AuthConfiguration.defaultReplayGuardCapacity) async throws -> Authenticator {
        let credential = try HMACCredential(keyID: "device-42", secret: secret, principal: principal)
        let other = try HMACCredential(keyID: "device-43", secret: Array(repeating: 7, count: 48), principal: Principal(userID: "other"))
        return await Authenticator(configuration: try AuthConfiguration(hmacKeys: [credential, other], replayGuardCapacity: capacity))
    }

    static func proof(_ nonce: [UInt8], keyID: String = "device-42") -> [UInt8] {
        HMACProof.compute(key: SymmetricKey(data: secret), nonce: nonce, keyID: keyID)
    }

    @Test func validProofYieldsTheConfiguredPrincipal() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let handshake = hmacHandshake(keyID: "device-42", mac: Self.proof(Fixtures.nonceA))
        let result = await authenticator.authenticate(handshake, nonce: Fixtures.nonceA, now: Fixtures.now)
        #expect(result.success == Self.principal)
    }

    @Test func unknownKeyIDIs201() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let handshake = hmacHandshake(keyID: "device-99", mac: Self.proof(Fixtures.nonceA, keyID: "device-99"))
        let result = await authenticator.authenticate(handshake, nonce: Fixtures.nonceA, now: Fixtures.now)
        #expect(result.failure?.code == .unknownKey)
    }

    @Test func wrongMACIs202() async throws {
        let authenticator = try await Self.makeAuthenticator()
        var mac = Self.proof(Fixtures.nonceA)
        mac[31] ^= 0x01
        let result = await authenticator.authenticate(hmacHandshake(keyID: "device-42", mac: mac), nonce: Fixtures.nonceA, now: Fixtures.now)
        #expect(result.failure?.code == .badProof)
    }

    @Test func proofUnderAnotherKeysSecretIs202() async throws {
        let authenticator = try await Self.makeAuthenticator()
        // Right nonce and key id, but computed with device-42's secret for device-43.
        let result = authenticator.authenticateHMAC(keyID: "device-43", mac: Self.proof(Fixtures.nonceA, keyID: "device-43"), nonce: Fixtures.nonceA)
        #expect(result.failure?.code == .badProof)
    }

    @Test func acceptedProofPresentedOverAnotherNonceIs209() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let proof = Self.proof(Fixtures.nonceA)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: proof, nonce: Fixtures.nonceA).success != nil)
        // The same proof replayed on a connection whose Challenge carried nonce B.
        let replay = await authenticator.authenticate(hmacHandshake(keyID: "device-42", mac: proof), nonce: Fixtures.nonceB, now: Fixtures.now)
        #expect(replay.failure?.code == .challengeReplayed)
    }

    @Test func proofThatWasNeverAcceptedIs202NotReplay() async throws {
        let authenticator = try await Self.makeAuthenticator()
        // A correct proof for nonce A that the server never saw, presented over nonce B.
        let result = authenticator.authenticateHMAC(keyID: "device-42", mac: Self.proof(Fixtures.nonceA), nonce: Fixtures.nonceB)
        #expect(result.failure?.code == .badProof)
    }

    @Test func replayIsRecognisedOnlyForTheSameKeyID() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let proof = Self.proof(Fixtures.nonceA)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: proof, nonce: Fixtures.nonceA).success != nil)
        #expect(authenticator.authenticateHMAC(keyID: "device-43", mac: proof, nonce: Fixtures.nonceB).failure?.code == .badProof)
    }

    @Test func replayGuardForgetsTheOldestProofWhenFull() async throws {
        let authenticator = try await Self.makeAuthenticator(capacity: 1)
        let first = Self.proof(Fixtures.nonceA)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: first, nonce: Fixtures.nonceA).success != nil)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: Self.proof(Fixtures.nonceB), nonce: Fixtures.nonceB).success != nil)
        // The first proof was evicted: it is now just a bad proof.
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: first, nonce: Fixtures.nonceC).failure?.code == .badProof)
    }

    @Test func shortOrEmptyMACIs202() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let proof = Self.proof(Fixtures.nonceA)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: Array(proof.prefix(16)), nonce: Fixtures.nonceA).failure?.code == .badProof)
        #expect(authenticator.authenticateHMAC(keyID: "device-42", mac: [], nonce: Fixtures.nonceA).failure?.code == .badProof)
    }

    @Test func failureReasonsDoNotContainTheMAC() async throws {
        let authenticator = try await Self.makeAuthenticator()
        let proof = Self.proof(Fixtures.nonceA)
        let failures = [
            authenticator.authenticateHMAC(keyID: "device-42", mac: proof, nonce: Fixtures.nonceB).failure,
            authenticator.authenticateHMAC(keyID: "nope", mac: proof, nonce: Fixtures.nonceA).failure,
        ]
        for failure in failures {
            let reason = try #require(failure).reason
            #expect(!reason.contains(hexString(proof)))
            #expect(!reason.contains(Tokens.base64url(proof)))
            #expect(!reason.isEmpty)
        }
    }

    @Test func isValidAcceptsOnlyTheExactProof() {
        let key = SymmetricKey(data: Self.secret)
        let proof = Self.proof(Fixtures.nonceA)
        #expect(HMACProof.isValid(proof, key: key, nonce: Fixtures.nonceA, keyID: "device-42"))
        #expect(!HMACProof.isValid(proof, key: key, nonce: Fixtures.nonceA, keyID: "device-4"))
        #expect(!HMACProof.isValid(proof + [0], key: key, nonce: Fixtures.nonceA, keyID: "device-42"))
    }
}

@Suite("Replay guard")
struct ReplayGuardTests {
    @Test func remembersUpToCapacityInFIFOOrder() {
        var guardian = ReplayGuard(capacity: 3)
        let macs: [[UInt8]] = (0..<5).map { Array(repeating: UInt8($0), count: 32) }
        for mac in macs { guardian.remember(keyID: "k", mac: mac) }
        #expect(guardian.count == 3)
        #expect(!guardian.contains(keyID: "k", mac: macs[0]))
        #expect(!guardian.contains(keyID: "k", mac: macs[1]))
        #expect(guardian.contains(keyID: "k", mac: macs[2]))
        #expect(guardian.contains(keyID: "k", mac: macs[4]))
        #expect(!guardian.contains(keyID: "j", mac: macs[4]))
    }

    @Test func rememberingTwiceDoesNotTakeTwoSlots() {
        var guardian = ReplayGuard(capacity: 2)
        let a: [UInt8] = Array(repeating: 1, count: 32)
        let b: [UInt8] = Array(repeating: 2, count: 32)
        guardian.remember(keyID: "k", mac: a)
        guardian.remember(keyID: "k", mac: a)
        guardian.remember(keyID: "k", mac: b)
        #expect(guardian.count == 2)
        #expect(guardian.contains(keyID: "k", mac: a))
        #expect(guardian.contains(keyID: "k", mac: b))
    }
}
