import NIOCore

/// Where a data message goes (client → server) or comes from (server → client):
/// `docs/PROTOCOL.md` §7.8.
public enum Route: Hashable, Sendable {
    /// An established channel alias (never 0).
    case channel(UInt32)
    /// Binds `alias` to `topic` for this direction, and delivers this message on it.
    case bind(alias: UInt32, topic: String)
    /// A topic by name.
    case topic(String)
    /// A direct message to (or from) one session.
    case session(UInt64)
    /// A direct message to (or from) every session of a user.
    case user(String)

    public enum Kind: UInt8, Sendable {
        case channel = 0, bind = 1, topic = 2, session = 3, user = 4
    }

    public var kind: Kind {
        switch self {
        case .channel: return .channel
        case .bind: return .bind
        case .topic: return .topic
        case .session: return .session
        case .user: return .user
        }
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Route {
        switch reader.version {
        case .v1: return try decodeV1(from: &reader)
        case .v2: return try decodeV2(from: &reader)
        }
    }

    static func decodeV1(from reader: inout BodyReader) throws(WireError) -> Route {
        let kindOffset = reader.offset
        let rawKind = try reader.u8("route kind")
        guard let kind = Kind(rawValue: rawKind) else {
            throw reader.invalid("route kind", at: kindOffset, "\(rawKind) is reserved (known kinds are 0-4)")
        }
        switch kind {
        case .channel:
            return .channel(try alias(&reader))
        case .bind:
            let alias = try alias(&reader)
            return .bind(alias: alias, topic: try reader.string("topic", limit: FieldLimits.topic))
        case .topic:
            return .topic(try reader.string("topic", limit: FieldLimits.topic))
        case .session:
            return .session(try reader.u64("session id"))
        case .user:
            return .user(try reader.string("user id", limit: FieldLimits.userID))
        }
    }

    private static func alias(_ reader: inout BodyReader) throws(WireError) -> UInt32 {
        let offset = reader.offset
        let alias = try reader.u32("alias")
        guard alias != 0 else { throw reader.invalid("alias", at: offset, "alias 0 is reserved") }
        return alias
    }

    static func decodeV2(from reader: inout BodyReader) throws(WireError) -> Route {
        let start = reader.offset
        let head = try reader.varint("route", max: .max)
        let n = head >> 3
        guard let kind = Kind(rawValue: UInt8(head & 7)) else {
            throw reader.invalid("route kind", at: start, "\(head & 7) is reserved (known kinds are 0-4)")
        }
        switch kind {
        case .channel, .bind:
            guard n <= UInt64(UInt32.max) else {
                throw WireError(.invalidVarint, at: start, "route: alias \(n) exceeds 2^32-1")
            }
            guard n != 0 else { throw reader.invalid("alias", at: start, "alias 0 is reserved") }
            if kind == .channel { return .channel(UInt32(n)) }
            return .bind(alias: UInt32(n), topic: try reader.string("topic", limit: FieldLimits.topic))
        case .topic:
            return .topic(try reader.utf8("topic", length: clamp(n), limit: FieldLimits.topic, prefixOffset: start))
        case .session:
            guard n == 0 else { throw reader.invalid("route", at: start, "a session route carries no value in the route varint") }
            return .session(try reader.u64("session id"))
        case .user:
            return .user(try reader.utf8("user id", length: clamp(n), limit: FieldLimits.userID, prefixOffset: start))
        }
    }

    private static func clamp(_ value: UInt64) -> Int { value > UInt64(Int32.max) ? Int(Int32.max) : Int(value) }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        switch version {
        case .v1: try encodeV1(into: &buffer)
        case .v2: try encodeV2(into: &buffer)
        }
    }

    func encodeV1(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(kind.rawValue)
        switch self {
        case .channel(let alias):
            try Route.checkAlias(alias, buffer)
            buffer.writeInteger(alias)
        case .bind(let alias, let topic):
            try Route.checkAlias(alias, buffer)
            buffer.writeInteger(alias)
            try buffer.writeStringField(topic, limit: FieldLimits.topic, .v1, "topic")
        case .topic(let topic):
            try buffer.writeStringField(topic, limit: FieldLimits.topic, .v1, "topic")
        case .session(let id):
            buffer.writeInteger(id)
        case .user(let user):
            try buffer.writeStringField(user, limit: FieldLimits.userID, .v1, "user id")
        }
    }

    func encodeV2(into buffer: inout ByteBuffer) throws(WireError) {
        switch self {
        case .channel(let alias):
            try Route.checkAlias(alias, buffer)
            buffer.writeVarInt(UInt64(alias) << 3)
        case .bind(let alias, let topic):
            try Route.checkAlias(alias, buffer)
            buffer.writeVarInt(UInt64(alias) << 3 | 1)
            try buffer.writeStringField(topic, limit: FieldLimits.topic, .v2, "topic")
        case .topic(let topic):
            try Route.writeInline(topic, kind: 2, limit: FieldLimits.topic, into: &buffer, "topic")
        case .session(let id):
            buffer.writeVarInt(3)
            buffer.writeInteger(id)
        case .user(let user):
            try Route.writeInline(user, kind: 4, limit: FieldLimits.userID, into: &buffer, "user id")
        }
    }

    static func checkAlias(_ alias: UInt32, _ buffer: ByteBuffer) throws(WireError) {
        guard alias != 0 else { throw WireError(.invalidValue, at: buffer.writerIndex, "alias 0 is reserved") }
    }

    private static func writeInline(_ text: String, kind: UInt64, limit: Int, into buffer: inout ByteBuffer, _ field: StaticString) throws(WireError) {
        let length = text.utf8.count
        guard length <= limit else {
            throw WireError(.fieldTooLong, at: buffer.writerIndex, "\(field): \(length) bytes exceeds the limit of \(limit)")
        }
        buffer.writeVarInt(UInt64(length) << 3 | kind)
        buffer.writeString(text)
    }
}
