import NIOCore

/// SnapshotRequest (0x0205): a subscriber lacks the base of a delta (or the delta did
/// not reproduce its checksum) and asks for the full current value of `key` on
/// `topic`; the server answers with a full DeltaUpdate on the subscription's channel,
/// or Error 306 referencing `requestID` (`docs/PROTOCOL.md` §7.16, §20.4).
public struct SnapshotRequest: Hashable, Sendable {
    public var requestID: UInt32
    /// The concrete topic (never a pattern).
    public var topic: String
    public var key: String

    public init(requestID: UInt32, topic: String, key: String) {
        self.requestID = requestID
        self.topic = topic
        self.key = key
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> SnapshotRequest {
        let requestID = try reader.int32("request id")
        let topic = try reader.string("topic", limit: FieldLimits.topic)
        let key = try reader.string("key", limit: FieldLimits.key)
        try reader.finish("SnapshotRequest")
        return SnapshotRequest(requestID: requestID, topic: topic, key: key)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInt32Field(requestID, version)
        try buffer.writeStringField(topic, limit: FieldLimits.topic, version, "topic")
        try buffer.writeStringField(key, limit: FieldLimits.key, version, "key")
    }
}
