import NIOCore

/// DeltaUpdate (0x0103): a new value for `key`, either whole (DELTA flag clear) or as
/// a delta against the value carried by the reliable message `baseSequence`
/// (`docs/PROTOCOL.md` §7.10).
public struct DeltaUpdate: Hashable, Sendable {
    public var route: Route
    public var key: String
    /// The sequence of the base value (DELTA set); 0 for a full value.
    public var baseSequence: UInt32
    /// CRC-32 (zlib's `crc32`) of the full value after applying.
    public var checksum: UInt32
    public var payload: ByteBuffer

    public init(route: Route, key: String, baseSequence: UInt32, checksum: UInt32, payload: ByteBuffer) {
        self.route = route
        self.key = key
        self.baseSequence = baseSequence
        self.checksum = checksum
        self.payload = payload
    }

    public static func decode(from reader: inout BodyReader, isDelta: Bool) throws(WireError) -> DeltaUpdate {
        let route = try Route.decode(from: &reader)
        let key = try reader.string("key", limit: FieldLimits.key)
        let baseOffset = reader.offset
        let base = try reader.int32("base sequence")
        if !isDelta && base != 0 {
            throw reader.invalid("base sequence", at: baseOffset, "must be 0 on a full value (DELTA flag clear), got \(base)")
        }
        let checksum = try reader.u32("checksum")
        return DeltaUpdate(route: route, key: key, baseSequence: base, checksum: checksum, payload: reader.rest())
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        try route.encode(into: &buffer, version)
        try buffer.writeStringField(key, limit: FieldLimits.key, version, "key")
        buffer.writeInt32Field(baseSequence, version)
        buffer.writeInteger(checksum)
        buffer.writeImmutableBuffer(payload)
    }
}
