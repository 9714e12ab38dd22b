/// An authenticated identity and the topic patterns it is granted.
///
/// For HMAC the server configures the principal per key id (`docs/PROTOCOL.md` §11.1);
/// for JWT it comes from the `sub`, `publish` and `subscribe` claims (§11.2). The
/// patterns are carried as given: this module does not interpret them.
public struct Principal: Hashable, Sendable {
    /// The user id (at most 128 UTF-8 bytes for JWT subjects).
    public var userID: String
    /// Topic patterns the principal may publish to.
    public var publish: [String]
    /// Topic patterns the principal may subscribe to.
    public var subscribe: [String]

    /// Creates a principal; both pattern lists default to none.
    public init(userID: String, publish: [String] = [], subscribe: [String] = []) {
        self.userID = userID
        self.publish = publish
        self.subscribe = subscribe
    }
}
