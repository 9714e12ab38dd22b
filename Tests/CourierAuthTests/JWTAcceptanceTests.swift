import CourierAuth
import CourierWire
import Crypto
import Foundation
import JWTKit
import Testing

@Suite("JWT: accepted algorithms and claim mapping (§11.2)")
struct JWTAcceptanceTests {
    static let expected = Principal(userID: "alice", publish: ["chat.alice.>"], subscribe: ["chat.>", "presence.*"])

    @Test func hs256TokenMapsClaimsToPrincipal() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)])
        let token = try await Tokens.hs256(.valid())
        let result = await authenticator.authenticate(jwtHandshake(token), nonce: Fixtures.nonceA, now: Fixtures.now)
        #expect(result.success == Self.expected)
    }

    @Test func es256TokenFromAPEMConfiguredKeyIsAccepted() async throws {
        let privateKey = P256.Signing.PrivateKey()
        let authenticator = try await makeJWTAuthenticator([.es256(pem: privateKey.publicKey.pemRepresentation)])
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: try ES256PrivateKey(backing: privateKey))
        let token = try await Tokens.sign(.valid(), with: signer)
        let result = await authenticator.authenticateJWT(token, now: Fixtures.now)
        #expect(result.success == Self.expected)
    }

    @Test func eddsaTokenFromABase64URLXIsAccepted() async throws {
        let privateKey = Curve25519.Signing.PrivateKey()
        let x = Tokens.base64url(privateKey.publicKey.rawRepresentation)
        let authenticator = try await makeJWTAuthenticator([.eddsa(x: x)])
        let signer = JWTKeyCollection()
        await signer.add(eddsa: EdDSA.PrivateKey(backing: privateKey))
        let token = try await Tokens.sign(.valid(), with: signer)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Self.expected)
    }

    @Test func eddsaKeyFromRawBytesIsAccepted() async throws {
        let privateKey = Curve25519.Signing.PrivateKey()
        let authenticator = try await makeJWTAuthenticator([.eddsa(x: Array(privateKey.publicKey.rawRepresentation))])
        let signer = JWTKeyCollection()
        await signer.add(eddsa: EdDSA.PrivateKey(backing: privateKey))
        let token = try await Tokens.sign(.valid(), with: signer)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Self.expected)
    }

    @Test func audienceArrayContainingTheServerIsAccepted() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)])
        var claims = TestClaims.valid()
        claims.aud = .many(["other.example", Fixtures.audience])
        let token = try await Tokens.hs256(claims)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Self.expected)
    }

    @Test func missingPatternsDefaultToNone() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)], audience: nil, issuer: nil)
        let token = try await Tokens.hs256(TestClaims(sub: "bob", exp: Fixtures.nowSeconds + 60))
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Principal(userID: "bob"))
    }

    @Test func kidSelectsAmongSeveralKeysOfOneAlgorithm() async throws {
        let authenticator = try await makeJWTAuthenticator([
            .hs256(secret: Fixtures.hsSecret, kid: "2024"),
            .hs256(secret: Fixtures.otherSecret, kid: "2025"),
        ])
        let good = try await Tokens.hs256(.valid(), secret: Fixtures.otherSecret, kid: "2025")
        #expect(await authenticator.authenticateJWT(good, now: Fixtures.now).success == Self.expected)
        // Signed with the 2025 secret but claiming to be the 2024 key.
        let mislabelled = try await Tokens.hs256(.valid(), secret: Fixtures.otherSecret, kid: "2024")
        #expect(await authenticator.authenticateJWT(mislabelled, now: Fixtures.now).failure?.code == .tokenInvalid)
        // No kid: every HS256 key is tried.
        let unlabelled = try await Tokens.hs256(.valid(), secret: Fixtures.otherSecret)
        #expect(await authenticator.authenticateJWT(unlabelled, now: Fixtures.now).success == Self.expected)
    }

    @Test func unknownKidFallsBackOnlyToKeysWithoutAKid() async throws {
        let keyed = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret, kid: "2024")])
        let token = try await Tokens.hs256(.valid(), kid: "2099")
        #expect(await keyed.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
        let unkeyed = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)])
        #expect(await unkeyed.authenticateJWT(token, now: Fixtures.now).success == Self.expected)
    }

    @Test func developmentTokenIsAcceptedByAMatchingConfiguration() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)])
        let token = try await DevelopmentToken.mint(
            secret: Fixtures.hsSecret, subject: "alice", publish: ["chat.alice.>"], subscribe: ["chat.>", "presence.*"],
            audience: Fixtures.audience, issuer: Fixtures.issuer, lifetime: .seconds(3600), now: Fixtures.now
        )
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Self.expected)
        // One hour later (plus leeway) it has expired.
        let later = Fixtures.now.addingTimeInterval(3600 + 5)
        #expect(await authenticator.authenticateJWT(token, now: later).failure?.code == .tokenExpired)
    }

    @Test func developmentTokenHeaderIsHS256WithOptionalKid() async throws {
        let token = try await DevelopmentToken.mint(
            secret: Fixtures.hsSecret, subject: "alice", publish: [], subscribe: [],
            audience: nil, issuer: nil, lifetime: .seconds(60), now: Fixtures.now, kid: "dev"
        )
        let headerSegment = try #require(token.split(separator: ".").first)
        var base64 = headerSegment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let json = try #require(Data(base64Encoded: base64))
        let header = try JSONDecoder().decode([String: String].self, from: json)
        #expect(header == ["alg": "HS256", "typ": "JWT", "kid": "dev"])
    }
}
