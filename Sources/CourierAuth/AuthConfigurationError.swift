/// A configuration mistake found while building an ``AuthConfiguration``, a key, or
/// ``ResumeTokens``, or while reading a secret from text.
///
/// `message` names the offending key id (or kid) but never contains secret material.
public struct AuthConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of mistake was found.
    public enum Kind: Hashable, Sendable {
        /// A secret is shorter than ``AuthConfiguration/minimumSecretLength`` bytes.
        case secretTooShort
        /// A key id or kid is empty or too long.
        case invalidKeyID
        /// Two keys share a key id (or kid).
        case duplicateKeyID
        /// A public key could not be parsed.
        case invalidPublicKey
        /// The leeway is negative.
        case invalidLeeway
        /// The replay-guard capacity is below 1.
        case invalidCapacity
        /// An audience or issuer is empty.
        case invalidClaimSetting
        /// A secret given as text could not be read.
        case invalidSecretText
    }

    /// What kind of mistake was found.
    public let kind: Kind
    /// A description naming the key id concerned, if any.
    public let message: String

    /// Creates an error of `kind` described by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
