import CourierAuth
import Crypto
import Foundation
import Testing

@Suite("Configuration validation")
struct ConfigurationTests {
    @Test func shortHMACSecretNamesTheKeyID() {
        #expect {
            try HMACCredential(keyID: "gateway-eu", secret: Array(repeating: 1, count: 31), principal: Principal(userID: "g"))
        } throws: { error in
            guard let error = error as? AuthConfigurationError else { return false }
            return error.kind == .secretTooShort && error.message.contains("gateway-eu")
        }
    }

    @Test func invalidKeyIDsAreRefused() {
        #expect(throws: AuthConfigurationError.self) { try HMACCredential(keyID: "", secret: Fixtures.hsSecret, principal: Principal(userID: "u")) }
        #expect(throws: AuthConfigurationError.self) {
            try HMACCredential(keyID: String(repeating: "k", count: 129), secret: Fixtures.hsSecret, principal: Principal(userID: "u"))
        }
    }

    @Test func duplicateKeyIDsAreRefused() throws {
        let a = try HMACCredential(keyID: "same", secret: Fixtures.hsSecret, principal: Principal(userID: "a"))
        let b = try HMACCredential(keyID: "same", secret: Fixtures.otherSecret, principal: Principal(userID: "b"))
        #expect(throws: AuthConfigurationError.self) { try AuthConfiguration(hmacKeys: [a, b]) }
        #expect(throws: AuthConfigurationError.self) {
            try AuthConfiguration(jwtKeys: [.hs256(secret: Fixtures.hsSecret, kid: "k1"), .hs256(secret: Fixtures.otherSecret, kid: "k1")])
        }
    }

    @Test func shortHS256SecretNamesTheKid() {
        #expect {
            try JWTVerificationKey.hs256(secret: Array(repeating: 1, count: 16), kid: "legacy")
        } throws: { error in
            (error as? AuthConfigurationError)?.message.contains("legacy") == true
        }
    }

    @Test func badPublicKeysAreRefused() {
        #expect(throws: AuthConfigurationError.self) { try JWTVerificationKey.es256(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") }
        #expect(throws: AuthConfigurationError.self) { try JWTVerificationKey.eddsa(x: Array(repeating: 1, count: 31)) }
        #expect(throws: AuthConfigurationError.self) { try JWTVerificationKey.eddsa(x: "not base64url!") }
        // A P-384 key is not an ES256 key.
        #expect(throws: AuthConfigurationError.self) { try JWTVerificationKey.es256(pem: P384.Signing.PrivateKey().publicKey.pemRepresentation) }
    }

    @Test func settingsAreValidated() {
        #expect(throws: AuthConfigurationError.self) { try AuthConfiguration(leeway: .seconds(-1)) }
        #expect(throws: AuthConfigurationError.self) { try AuthConfiguration(replayGuardCapacity: 0) }
        #expect(throws: AuthConfigurationError.self) { try AuthConfiguration(audience: "") }
        #expect(throws: AuthConfigurationError.self) { try AuthConfiguration(issuer: "") }
    }

    @Test func defaultsFollowTheSpecification() throws {
        let configuration = try AuthConfiguration(jwtKeys: [.hs256(secret: Fixtures.hsSecret), .eddsa(publicKey: Curve25519.Signing.PrivateKey().publicKey)])
        #expect(configuration.leeway == .seconds(5))
        #expect(configuration.replayGuardCapacity == 4096)
        #expect(configuration.allowedAlgorithms == [.hs256, .eddsa])
    }
}

@Suite("Development secrets")
struct DevelopmentSecretTests {
    @Test func generatedSecretsAre32DistinctBytes() {
        let a = DevelopmentToken.generateSecret()
        let b = DevelopmentToken.generateSecret()
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test func hexIsPreferredAndRoundTrips() throws {
        let secret: [UInt8] = Array(0..<32)
        let text = DevelopmentToken.hexString(secret)
        #expect(text == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        #expect(try DevelopmentToken.readSecret(text) == secret)
        #expect(try DevelopmentToken.readSecret("  \(text.uppercased())\n") == secret)
    }

    @Test func base64IsReadInEitherAlphabet() throws {
        let secret: [UInt8] = Array(200..<240)
        let standard = Data(secret).base64EncodedString()
        #expect(try DevelopmentToken.readSecret(standard) == secret)
        #expect(try DevelopmentToken.readSecret(Tokens.base64url(secret)) == secret)
        #expect(try DevelopmentToken.readSecret("base64:" + standard) == secret)
    }

    @Test func otherTextIsUTF8() throws {
        let passphrase = "correct horse battery staple, twice over!"
        #expect(try DevelopmentToken.readSecret(passphrase) == Array(passphrase.utf8))
        // A base64-looking passphrase that decodes to too few bytes is read as UTF-8.
        #expect(try DevelopmentToken.readSecret("correcthorsebatterystaplecorrecthors") == Array("correcthorsebatterystaplecorrecthors".utf8))
        #expect(try DevelopmentToken.readSecret("utf8:" + String(repeating: "ab", count: 16)) == Array(String(repeating: "ab", count: 16).utf8))
    }

    @Test func shortOrUndecodableSecretsAreRefusedWithoutEchoingThem() {
        #expect {
            try DevelopmentToken.readSecret("hex:zz")
        } throws: { error in
            guard let error = error as? AuthConfigurationError else { return false }
            return error.kind == .invalidSecretText && !error.message.contains("zz")
        }
        #expect(throws: AuthConfigurationError.self) { try DevelopmentToken.readSecret("0011") }
        #expect(throws: AuthConfigurationError.self) { try DevelopmentToken.readSecret("short") }
    }

    @Test func mintRefusesShortSecretsAndBadSubjects() async {
        await #expect(throws: AuthConfigurationError.self) {
            try await DevelopmentToken.mint(
                secret: Array(repeating: 1, count: 8), subject: "a", publish: [], subscribe: [],
                audience: nil, issuer: nil, lifetime: .seconds(60), now: Fixtures.now
            )
        }
        await #expect(throws: AuthConfigurationError.self) {
            try await DevelopmentToken.mint(
                secret: Fixtures.hsSecret, subject: "", publish: [], subscribe: [],
                audience: nil, issuer: nil, lifetime: .seconds(60), now: Fixtures.now
            )
        }
    }
}
