import CourierAuth
import CourierWire
import Crypto
import NIOCore

extension CourierClient.Authentication {
    /// The Handshake's proof of identity over `challenge` (`docs/PROTOCOL.md` §11).
    func proof(for challenge: Challenge) -> Handshake.Auth {
        switch self {
        case .hmac(let keyID, let secret):
            let nonce = Array(challenge.nonce.readableBytesView)
            let mac = HMACProof.compute(key: SymmetricKey(data: secret), nonce: nonce, keyID: keyID)
            return .hmac(keyID: keyID, mac: ByteBuffer(bytes: mac))
        case .jwt(let token):
            return .jwt(token: token)
        }
    }
}
