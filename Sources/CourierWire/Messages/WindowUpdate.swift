import NIOCore

/// WindowUpdate (0x0007): credit granted to the peer (`docs/PROTOCOL.md` §7.7).
public struct WindowUpdate: Hashable, Sendable {
    /// 0 = the whole connection; otherwise a channel alias.
    public var channel: UInt32
    public var messages: UInt32
    public var bytes: UInt32

    public init(channel: UInt32 = 0, messages: UInt32, bytes: UInt32) {
        self.channel = channel
        self.messages = messages
        self.bytes = bytes
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> WindowUpdate {
        let channel = try reader.int32("channel")
        let messages = try reader.int32("messages")
        let bytes = try reader.int32("bytes")
        try reader.finish("WindowUpdate")
        return WindowUpdate(channel: channel, messages: messages, bytes: bytes)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) {
        buffer.writeInt32Field(channel, version)
        buffer.writeInt32Field(messages, version)
        buffer.writeInt32Field(bytes, version)
    }
}
