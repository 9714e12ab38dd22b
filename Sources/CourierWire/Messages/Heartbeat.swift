import NIOCore

/// Heartbeat (0x0003): a ping, or the pong that answers it with the same value
/// (`docs/PROTOCOL.md` §7.4).
public struct Heartbeat: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        case ping = 0
        case pong = 1
    }

    public var kind: Kind
    /// Ping: any value (normally the sender's monotonic clock in µs). Pong: the ping's value.
    public var value: UInt64

    public init(kind: Kind, value: UInt64) {
        self.kind = kind
        self.value = value
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Heartbeat {
        let kindOffset = reader.offset
        let raw = try reader.u8("heartbeat kind")
        guard let kind = Kind(rawValue: raw) else {
            throw reader.invalid("heartbeat kind", at: kindOffset, "\(raw) is not 0 (ping) or 1 (pong)")
        }
        let value = try reader.int64("heartbeat value")
        try reader.finish("Heartbeat")
        return Heartbeat(kind: kind, value: value)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) {
        buffer.writeInteger(kind.rawValue)
        buffer.writeInt64Field(value, version)
    }
}
