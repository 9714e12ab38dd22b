/// Configurable decoding limits. Every length read from the wire is checked against
/// these (or against the field's protocol limit) before anything is buffered.
public struct WireLimits: Hashable, Sendable {
    /// Largest body of one message, in bytes (`maxMessageBytes`, §8.2).
    public var maxMessageBytes: Int
    /// Most messages in one WebSocket message (`maxMessagesPerFrame`, §8.2).
    public var maxMessagesPerFrame: Int

    public init(maxMessageBytes: Int = 1_048_576, maxMessagesPerFrame: Int = 1_024) {
        precondition(maxMessageBytes > 0 && maxMessageBytes <= Int(UInt32.max), "maxMessageBytes must be in 1...2^32-1")
        precondition(maxMessagesPerFrame > 0, "maxMessagesPerFrame must be positive")
        self.maxMessageBytes = maxMessageBytes
        self.maxMessagesPerFrame = maxMessagesPerFrame
    }

    public static let `default` = WireLimits()
}

/// Byte limits of individual fields. These are part of the protocol, not
/// configuration (`docs/PROTOCOL.md` §7).
public enum FieldLimits {
    public static let topic = 256
    public static let pattern = 256
    public static let key = 256
    public static let userID = 128
    public static let keyID = 128
    public static let token = 8_192
    public static let resumeToken = 512
    public static let closeReason = 123
    public static let errorMessage = 256
    public static let extensionValue = 1_024
    public static let extensionCount = 16
    public static let nonceMin = 16
    public static let nonceMax = 64
    public static let macLength = 32
}
