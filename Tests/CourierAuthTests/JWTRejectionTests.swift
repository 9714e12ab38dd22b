import CourierAuth
import CourierWire
import Crypto
import Foundation
import JWTKit
import Testing

@Suite("JWT: algorithms refused and tokens that do not verify")
struct JWTRejectionTests {
    static func hsAuthenticator() async throws -> Authenticator {
        try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)])
    }

    @Test func algNoneIs208() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = Tokens.handBuilt(header: #"{"alg":"none","typ":"JWT"}"#, payload: Tokens.validPayloadJSON())
        let result = await authenticator.authenticate(jwtHandshake(token), nonce: Fixtures.nonceA, now: Fixtures.now)
        #expect(result.failure?.code == .algorithmNotAllowed)
    }

    @Test(arguments: ["none", "None", "NONE", "HS384", "HS512", "RS256", "PS256", "ES384", "ES256K", "Ed25519", "", "hs256"])
    func unconfiguredAlgorithmsAre208(alg: String) async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = Tokens.handBuilt(header: #"{"alg":"\#(alg)"}"#, payload: Tokens.validPayloadJSON(), signature: Array(repeating: 1, count: 32))
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .algorithmNotAllowed)
    }

    @Test func hs384TokenIs208WhenOnlyHS256IsConfigured() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let signer = JWTKeyCollection()
        // jwt-kit wants HS384 keys of at least 48 bytes; the server's secret extended to 48.
        await signer.add(hmac: HMACKey(key: SymmetricKey(data: Fixtures.hsSecret + Fixtures.hsSecret.prefix(16))), digestAlgorithm: .sha384)
        let token = try await Tokens.sign(.valid(), with: signer)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .algorithmNotAllowed)
    }

    @Test func algorithmWithoutAConfiguredKeyIs208() async throws {
        // Only ES256 is configured; an HS256 token signed with the public key's PEM
        // text as the secret (the classic algorithm-confusion attack) is refused.
        let privateKey = P256.Signing.PrivateKey()
        let pem = privateKey.publicKey.pemRepresentation
        let authenticator = try await makeJWTAuthenticator([.es256(pem: pem)])
        let token = try await Tokens.hs256(.valid(), secret: Array(pem.utf8))
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .algorithmNotAllowed)
    }

    @Test func noJWTKeysConfiguredRefusesEveryAlgorithm() async throws {
        let authenticator = await Authenticator(configuration: try AuthConfiguration())
        let token = try await Tokens.hs256(.valid())
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .algorithmNotAllowed)
    }

    @Test func signatureByAnotherHS256KeyIs203() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = try await Tokens.hs256(.valid(), secret: Fixtures.otherSecret)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func signatureByAnotherES256KeyIs203() async throws {
        let authenticator = try await makeJWTAuthenticator([.es256(publicKey: P256.Signing.PrivateKey().publicKey)])
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: try ES256PrivateKey(backing: P256.Signing.PrivateKey()))
        let token = try await Tokens.sign(.valid(), with: signer)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func tamperedPayloadIs203() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = try await Tokens.hs256(.valid())
        let parts = token.split(separator: ".")
        let forged = parts[0] + "." + Tokens.base64url(Array(Tokens.validPayloadJSON().utf8)) + "." + parts[2]
        #expect(await authenticator.authenticateJWT(String(forged), now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test(arguments: [
        "", "garbage", "a.b", "a.b.c.d", "...", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9..",
        "not base64!.eyJzdWIiOiJ4In0.c2ln", "eyJhbGciOiJIUzI1NiJ9.@@@.c2ln", "eyJhbGciOiJIUzI1NiJ9.e30.***",
        "W10.e30.c2ln",  // header is a JSON array
        "eyJhbGciOjF9.e30.c2ln",  // alg is a number
        "eyJ0eXAiOiJKV1QifQ.e30.c2ln",  // no alg
    ])
    func garbageIs203(token: String) async throws {
        let authenticator = try await Self.hsAuthenticator()
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func validlySignedButNonJSONPayloadIs203() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = Tokens.handSignedHS256(header: #"{"alg":"HS256"}"#, payload: "not json")
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func criticalHeaderExtensionsAre203() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = Tokens.handSignedHS256(header: #"{"alg":"HS256","crit":["exp-ext"],"exp-ext":1}"#, payload: Tokens.validPayloadJSON())
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func handSignedTokenWithTheRightSecretIsAccepted() async throws {
        // Control for the two tests above: the same construction with clean inputs verifies.
        let authenticator = try await Self.hsAuthenticator()
        let token = Tokens.handSignedHS256(header: #"{"alg":"HS256"}"#, payload: Tokens.validPayloadJSON())
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success?.userID == "mallory")
    }

    @Test func failureReasonsNeverContainTheToken() async throws {
        let authenticator = try await Self.hsAuthenticator()
        let token = try await Tokens.hs256(.valid(), secret: Fixtures.otherSecret)
        let reason = try #require(await authenticator.authenticateJWT(token, now: Fixtures.now).failure).reason
        for part in token.split(separator: ".") {
            #expect(!reason.contains(part))
        }
    }
}
