import CourierWire
import Crypto

/// A pre-shared HMAC key (`docs/PROTOCOL.md` §11.1) and the principal it authenticates as.
public struct HMACCredential: Sendable {
    /// The key id clients name in their Handshake.
    public let keyID: String
    /// The identity and topic grants of whoever proves possession of the key.
    public let principal: Principal
    /// The secret.
    let key: SymmetricKey

    /// Creates a credential.
    ///
    /// - Throws: ``AuthConfigurationError`` when `keyID` is empty or longer than 128
    ///   UTF-8 bytes (the Handshake field limit), or when `secret` is shorter than
    ///   ``AuthConfiguration/minimumSecretLength`` bytes. The error names the key id.
    public init(keyID: String, secret: [UInt8], principal: Principal) throws(AuthConfigurationError) {
        let keyIDLength = keyID.utf8.count
        guard keyIDLength > 0, keyIDLength <= FieldLimits.keyID else {
            throw AuthConfigurationError(.invalidKeyID, "HMAC key id \(keyID.debugDescription) must be 1 to \(FieldLimits.keyID) UTF-8 bytes")
        }
        guard secret.count >= AuthConfiguration.minimumSecretLength else {
            throw AuthConfigurationError(
                .secretTooShort,
                "HMAC key \(keyID.debugDescription): secret is \(secret.count) bytes, at least \(AuthConfiguration.minimumSecretLength) are required"
            )
        }
        self.keyID = keyID
        self.principal = principal
        self.key = SymmetricKey(data: secret)
    }
}
