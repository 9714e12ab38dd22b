import NIOCore

/// A forward-compatible key/value pair at the end of Handshake and HandshakeResponse
/// (`docs/PROTOCOL.md` §7.15). Receivers ignore ids they do not know.
public struct HandshakeExtension: Hashable, Sendable {
    public var id: UInt16
    public var value: ByteBuffer

    public init(id: UInt16, value: ByteBuffer) {
        self.id = id
        self.value = value
    }

    static func decodeList(from reader: inout BodyReader) throws(WireError) -> [HandshakeExtension] {
        let countOffset = reader.offset
        let count = Int(try reader.u8("extension count"))
        guard count <= FieldLimits.extensionCount else {
            throw reader.invalid("extension count", at: countOffset, "\(count) exceeds the limit of \(FieldLimits.extensionCount)")
        }
        var result: [HandshakeExtension] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let id = try reader.u16("extension id")
            let value = try reader.bytes("extension value", limit: FieldLimits.extensionValue)
            result.append(HandshakeExtension(id: id, value: value))
        }
        return result
    }

    static func encodeList(_ list: [HandshakeExtension], into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        guard list.count <= FieldLimits.extensionCount else {
            throw WireError(.invalidValue, at: buffer.writerIndex, "extension count \(list.count) exceeds the limit of \(FieldLimits.extensionCount)")
        }
        buffer.writeInteger(UInt8(list.count))
        for item in list {
            buffer.writeInteger(item.id)
            try buffer.writeBytesField(item.value, limit: FieldLimits.extensionValue, version, "extension value")
        }
    }
}
