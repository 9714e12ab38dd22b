import CourierAuth
import CourierWire
import Foundation
import Testing

@Suite("Resume tokens (§11.3)")
struct ResumeTokenTests {
    static let secret: [UInt8] = Array(repeating: 0x42, count: 32)
    static let session: UInt64 = 0xDEAD_BEEF_0000_0001

    static func tokens() throws -> ResumeTokens { try ResumeTokens(secret: secret) }

    @Test func roundTrip() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        #expect(token.count == ResumeTokens.length)
        #expect(token.first == ResumeTokens.version)
        #expect(tokens.verify(token, sessionID: Self.session, now: Fixtures.now).success != nil)
        #expect(tokens.verify(token, sessionID: Self.session, now: Fixtures.now.addingTimeInterval(119)).success != nil)
    }

    @Test func expiredTokenIsExpired() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        #expect(tokens.verify(token, sessionID: Self.session, now: Fixtures.now.addingTimeInterval(120)).failure == .expired)
        #expect(tokens.verify(token, sessionID: Self.session, now: Fixtures.now.addingTimeInterval(86_400)).failure == .expired)
    }

    @Test func negativeLifetimeIsAlreadyExpired() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(-1))
        #expect(tokens.verify(token, sessionID: Self.session, now: Fixtures.now).failure == .expired)
    }

    @Test func otherSessionIsInvalid() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        #expect(tokens.verify(token, sessionID: Self.session + 1, now: Fixtures.now).failure == .invalidToken)
    }

    @Test func tokenFromAnotherSecretIsInvalid() throws {
        let token = try ResumeTokens(secret: Array(repeating: 0x43, count: 32)).issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        #expect(try Self.tokens().verify(token, sessionID: Self.session, now: Fixtures.now).failure == .invalidToken)
    }

    @Test func everySingleByteTamperIsRejected() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        for index in token.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = token
                tampered[index] ^= mask
                #expect(
                    tokens.verify(tampered, sessionID: Self.session, now: Fixtures.now).failure == .invalidToken,
                    "byte \(index) xor \(mask) was not rejected"
                )
            }
        }
    }

    @Test func wrongLengthsAreInvalid() throws {
        let tokens = try Self.tokens()
        let token = tokens.issue(sessionID: Self.session, now: Fixtures.now, lifetime: .seconds(120))
        for length in [0, 1, 25, 40] {
            #expect(tokens.verify(Array(token.prefix(length)), sessionID: Self.session, now: Fixtures.now).failure == .invalidToken)
        }
        #expect(tokens.verify(token + [0], sessionID: Self.session, now: Fixtures.now).failure == .invalidToken)
    }

    @Test func layoutIsVersionSessionAndMicrosecondTimes() throws {
        let token = try Self.tokens().issue(sessionID: 0x0102_0304_0506_0708, now: Date(timeIntervalSince1970: 1.5), lifetime: .milliseconds(2500))
        #expect(Array(token[0..<9]) == [0x01, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(token[9..<17]) == bigEndian(1_500_000))
        #expect(Array(token[17..<25]) == bigEndian(4_000_000))
    }

    @Test func shortSecretIsRefused() {
        #expect(throws: AuthConfigurationError.self) { try ResumeTokens(secret: Array(repeating: 1, count: 31)) }
    }

    private func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
