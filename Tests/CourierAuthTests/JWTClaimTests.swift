import CourierAuth
import CourierWire
import Foundation
import Testing

@Suite("JWT: claim checks with the injected clock")
struct JWTClaimTests {
    static func authenticator(leeway: Duration = AuthConfiguration.defaultLeeway) async throws -> Authenticator {
        try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)], leeway: leeway)
    }

    static func outcome(_ claims: TestClaims, leeway: Duration = AuthConfiguration.defaultLeeway) async throws -> Result<Principal, AuthFailure> {
        let token = try await Tokens.hs256(claims)
        return try await authenticator(leeway: leeway).authenticateJWT(token, now: Fixtures.now)
    }

    @Test func expiredTokenIs204() async throws {
        #expect(try await Self.outcome(.valid(expiresIn: -60)).failure?.code == .tokenExpired)
    }

    @Test func missingExpIs203() async throws {
        var claims = TestClaims.valid()
        claims.exp = nil
        #expect(try await Self.outcome(claims).failure?.code == .tokenInvalid)
    }

    @Test func notBeforeInTheFutureIs205() async throws {
        var claims = TestClaims.valid()
        claims.nbf = Fixtures.nowSeconds + 60
        #expect(try await Self.outcome(claims).failure?.code == .tokenNotYetValid)
    }

    @Test func notBeforeInThePastIsAccepted() async throws {
        var claims = TestClaims.valid()
        claims.nbf = Fixtures.nowSeconds - 60
        #expect(try await Self.outcome(claims).success?.userID == "alice")
    }

    @Test func wrongAudienceIs206() async throws {
        var claims = TestClaims.valid()
        claims.aud = .one("other.example")
        #expect(try await Self.outcome(claims).failure?.code == .tokenWrongAudience)
        claims.aud = .many(["a.example", "b.example"])
        #expect(try await Self.outcome(claims).failure?.code == .tokenWrongAudience)
        claims.aud = nil
        #expect(try await Self.outcome(claims).failure?.code == .tokenWrongAudience)
    }

    @Test func wrongIssuerIs207() async throws {
        var claims = TestClaims.valid()
        claims.iss = "https://evil.example"
        #expect(try await Self.outcome(claims).failure?.code == .tokenWrongIssuer)
        claims.iss = nil
        #expect(try await Self.outcome(claims).failure?.code == .tokenWrongIssuer)
    }

    @Test func missingSubIs203() async throws {
        var claims = TestClaims.valid()
        claims.sub = nil
        #expect(try await Self.outcome(claims).failure?.code == .tokenInvalid)
    }

    @Test func subOf128BytesIsAcceptedAnd129IsNot() async throws {
        var claims = TestClaims.valid()
        claims.sub = String(repeating: "é", count: 64)  // 128 UTF-8 bytes
        #expect(try await Self.outcome(claims).success?.userID == claims.sub)
        claims.sub = String(repeating: "é", count: 64) + "x"
        #expect(try await Self.outcome(claims).failure?.code == .tokenInvalid)
    }

    @Test(arguments: [
        #"{"sub":"alice","exp":1700000300,"publish":"chat"}"#,  // publish must be an array
        #"{"sub":"alice","exp":"1700000300"}"#,  // exp must be a number
        #"{"sub":42,"exp":1700000300}"#,  // sub must be a string
        #"{"sub":"alice","exp":1700000300,"subscribe":[1,2]}"#,  // patterns must be strings
        #"["alice"]"#,  // claims must be an object
    ])
    func claimOfTheWrongTypeIs203(payload: String) async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)], audience: nil, issuer: nil)
        let token = Tokens.handSignedHS256(header: #"{"alg":"HS256"}"#, payload: payload)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code == .tokenInvalid)
    }

    @Test func handSignedControlPayloadIsAccepted() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)], audience: nil, issuer: nil)
        let token = Tokens.handSignedHS256(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"alice","exp":1700000300.5,"publish":["a"],"subscribe":[]}"#)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success == Principal(userID: "alice", publish: ["a"]))
    }

    @Test func expiryLeewayIsHonoured() async throws {
        // Expired 3 s ago: within the default 5 s leeway.
        #expect(try await Self.outcome(.valid(expiresIn: -3)).success?.userID == "alice")
        // Expired 6 s ago: beyond it.
        #expect(try await Self.outcome(.valid(expiresIn: -6)).failure?.code == .tokenExpired)
        // Exactly at the edge (exp + leeway == now) the token is expired.
        #expect(try await Self.outcome(.valid(expiresIn: -5)).failure?.code == .tokenExpired)
    }

    @Test func notBeforeLeewayIsHonoured() async throws {
        var claims = TestClaims.valid()
        claims.nbf = Fixtures.nowSeconds + 3
        #expect(try await Self.outcome(claims).success?.userID == "alice")
        claims.nbf = Fixtures.nowSeconds + 6
        #expect(try await Self.outcome(claims).failure?.code == .tokenNotYetValid)
    }

    @Test func zeroLeewayIsStrict() async throws {
        #expect(try await Self.outcome(.valid(expiresIn: -1), leeway: .zero).failure?.code == .tokenExpired)
        #expect(try await Self.outcome(.valid(expiresIn: 1), leeway: .zero).success != nil)
    }

    @Test func unconfiguredAudienceAndIssuerAreNotChecked() async throws {
        let authenticator = try await makeJWTAuthenticator([.hs256(secret: Fixtures.hsSecret)], audience: nil, issuer: nil)
        var claims = TestClaims.valid()
        claims.aud = .one("anything")
        claims.iss = "anyone"
        let token = try await Tokens.hs256(claims)
        #expect(await authenticator.authenticateJWT(token, now: Fixtures.now).success?.userID == "alice")
    }
}
