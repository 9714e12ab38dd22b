import NIOCore

/// DeltaUpdate (0x0103): a new value for `key`, either whole (DELTA flag clear) or as
/// a delta against version `version - 1` of the same topic and key
/// (`docs/PROTOCOL.md` §7.10, §20).
public struct DeltaUpdate: Hashable, Sendable {
    public var route: Route
    public var key: String
    /// The version of the value this message carries (the server numbers the values of
    /// each topic and key); 0: unversioned (what clients send, and full values the
    /// server keeps no version of). Never 0 with DELTA: the base is `version - 1`.
    public var version: UInt32
    /// CRC-32 (zlib's `crc32`) of the full value after applying.
    public var checksum: UInt32
    public var payload: ByteBuffer

    public init(route: Route, key: String, version: UInt32, checksum: UInt32, payload: ByteBuffer) {
        self.route = route
        self.key = key
        self.version = version
        self.checksum = checksum
        self.payload = payload
    }

    public static func decode(from reader: inout BodyReader, isDelta: Bool) throws(WireError) -> DeltaUpdate {
        let route = try Route.decode(from: &reader)
        let key = try reader.string("key", limit: FieldLimits.key)
        let versionOffset = reader.offset
        let version = try reader.int32("version")
        if isDelta && version == 0 {
            throw reader.invalid("version", at: versionOffset, "must not be 0 on a delta (its base is version - 1)")
        }
        let checksum = try reader.u32("checksum")
        return DeltaUpdate(route: route, key: key, version: version, checksum: checksum, payload: reader.rest())
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        try route.encode(into: &buffer, version)
        try buffer.writeStringField(key, limit: FieldLimits.key, version, "key")
        buffer.writeInt32Field(self.version, version)
        buffer.writeInteger(checksum)
        buffer.writeImmutableBuffer(payload)
    }
}
