import NIOCore

/// Writers for the field encodings of `docs/PROTOCOL.md` §2. Each encoder checks the
/// same limits the decoder enforces, so that nothing is written that a conforming
/// peer would reject.
extension ByteBuffer {
    /// `int32`: u32 in v1, varint in v2.
    @inlinable
    public mutating func writeInt32Field(_ value: UInt32, _ version: ProtocolVersion) {
        switch version {
        case .v1: writeInteger(value)
        case .v2: writeVarInt(UInt64(value))
        }
    }

    /// `int64`: u64 in v1, varint in v2.
    @inlinable
    public mutating func writeInt64Field(_ value: UInt64, _ version: ProtocolVersion) {
        switch version {
        case .v1: writeInteger(value)
        case .v2: writeVarInt(value)
        }
    }

    /// A length prefix: u16 in v1, varint in v2.
    @inlinable
    public mutating func writeLengthPrefix(_ length: Int, _ version: ProtocolVersion) {
        switch version {
        case .v1: writeInteger(UInt16(length))
        case .v2: writeVarInt(UInt64(length))
        }
    }

    /// `string(limit)`.
    @inlinable
    public mutating func writeStringField(_ value: String, limit: Int, _ version: ProtocolVersion, _ field: StaticString) throws(WireError) {
        let length = value.utf8.count
        guard length <= limit else {
            throw WireError(.fieldTooLong, at: writerIndex, "\(field): \(length) bytes exceeds the limit of \(limit)")
        }
        writeLengthPrefix(length, version)
        writeString(value)
    }

    /// `bytes(limit)`.
    @inlinable
    public mutating func writeBytesField(_ value: ByteBuffer, limit: Int, _ version: ProtocolVersion, _ field: StaticString) throws(WireError) {
        guard value.readableBytes <= limit else {
            throw WireError(.fieldTooLong, at: writerIndex, "\(field): \(value.readableBytes) bytes exceeds the limit of \(limit)")
        }
        writeLengthPrefix(value.readableBytes, version)
        writeImmutableBuffer(value)
    }

    /// `bytes8(limit)`.
    @inlinable
    public mutating func writeBytes8Field(_ value: ByteBuffer, minimum: Int = 0, limit: Int, _ field: StaticString) throws(WireError) {
        guard value.readableBytes <= limit, value.readableBytes >= minimum else {
            throw WireError(.invalidValue, at: writerIndex, "\(field): \(value.readableBytes) bytes is outside \(minimum)...\(limit)")
        }
        writeInteger(UInt8(value.readableBytes))
        writeImmutableBuffer(value)
    }
}
