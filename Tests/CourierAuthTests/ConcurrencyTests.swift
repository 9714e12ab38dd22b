import CourierAuth
import CourierWire
import Crypto
import Foundation
import Testing

@Suite("Sharing one authenticator between tasks")
struct ConcurrencyTests {
    @Test func concurrentHandshakesAreAllJudgedCorrectly() async throws {
        let secret: [UInt8] = Array(repeating: 0x33, count: 32)
        let credential = try HMACCredential(keyID: "k", secret: secret, principal: Principal(userID: "u"))
        let authenticator = await Authenticator(configuration: try AuthConfiguration(
            hmacKeys: [credential], jwtKeys: [.hs256(secret: Fixtures.hsSecret)], audience: Fixtures.audience, issuer: Fixtures.issuer
        ))
        let token = try await Tokens.hs256(.valid())
        let codes = await withTaskGroup(of: ErrorCode?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index.isMultiple(of: 2) {
                        return await authenticator.authenticateJWT(token, now: Fixtures.now).failure?.code
                    }
                    let nonce = (0..<16).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
                    let mac = HMACProof.compute(key: SymmetricKey(data: secret), nonce: nonce, keyID: "k")
                    return authenticator.authenticateHMAC(keyID: "k", mac: mac, nonce: nonce).failure?.code
                }
            }
            var codes: [ErrorCode?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(codes.count == 200)
        #expect(codes.allSatisfy { $0 == nil })
    }
}
