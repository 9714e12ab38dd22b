import NIOCore

/// Close (0x0004): why the sender is closing, and when to come back
/// (`docs/PROTOCOL.md` §7.5).
public struct Close: Hashable, Sendable {
    public var code: CloseCode
    /// With 1012/1013: do not reconnect before this many milliseconds. 0 = no hint.
    public var retryAfterMillis: UInt32
    /// Spread reconnects uniformly over `[retryAfter, retryAfter + jitter]`.
    public var retryJitterMillis: UInt32
    public var reason: String

    public init(code: CloseCode, retryAfterMillis: UInt32 = 0, retryJitterMillis: UInt32 = 0, reason: String) {
        self.code = code
        self.retryAfterMillis = retryAfterMillis
        self.retryJitterMillis = retryJitterMillis
        self.reason = reason
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Close {
        let code = CloseCode(rawValue: try reader.u16("close code"))
        let after = try reader.int32("retry after")
        let jitter = try reader.int32("retry jitter")
        let reason = try reader.string("reason", limit: FieldLimits.closeReason)
        try reader.finish("Close")
        return Close(code: code, retryAfterMillis: after, retryJitterMillis: jitter, reason: reason)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInteger(code.rawValue)
        buffer.writeInt32Field(retryAfterMillis, version)
        buffer.writeInt32Field(retryJitterMillis, version)
        try buffer.writeStringField(reason, limit: FieldLimits.closeReason, version, "reason")
    }
}
