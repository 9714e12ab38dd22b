import CourierWire
import NIOCore

/// Renders decoded messages in the JSON shape of the shared test vectors
/// (`Tests/Vectors/README.md`), which is also `courier inspect --json`'s shape.
public enum MessageJSON {
    public static func render(_ decoded: DecodedMessage, version: ProtocolVersion) -> JSONValue {
        let message = decoded.message
        let header = message.header
        var pairs: [(String, JSONValue)] = [
            ("type", .string(message.type.name)),
            ("type_code", .number(Int64(message.type.rawValue))),
            ("flags", .array(header.flags.names.map { .string($0) })),
        ]
        if let id = header.sessionID { pairs.append(("session_id", u64(id))) }
        if let sequence = header.sequence { pairs.append(("sequence", number(sequence))) }
        if let timestamp = header.timestamp { pairs.append(("timestamp", u64(timestamp))) }
        if version == .v2 { pairs.append(("has_length", .bool(decoded.hasLength))) }
        pairs.append(("body", body(message.body)))
        return .object(pairs)
    }

    public static func body(_ body: MessageBody) -> JSONValue {
        switch body {
        case .challenge(let m):
            return .object([
                ("nonce", hex(m.nonce)), ("min_version", number(m.minVersion)), ("max_version", number(m.maxVersion)),
                ("auth_methods", number(m.authMethods.rawValue)), ("deadline_millis", number(m.deadlineMillis)),
            ])
        case .handshake(let m):
            let auth: JSONValue
            switch m.auth {
            case .hmac(let keyID, let mac): auth = .object([("method", .string("hmac")), ("key_id", .string(keyID)), ("mac", hex(mac))])
            case .jwt(let token): auth = .object([("method", .string("jwt")), ("token", .string(token))])
            }
            let resume: JSONValue = m.resume.map {
                .object([("session_id", u64($0.sessionID)), ("resume_token", hex($0.token)), ("last_received", number($0.lastReceived))])
            } ?? .null
            return .object([
                ("min_version", number(m.minVersion)), ("max_version", number(m.maxVersion)),
                ("auth", auth), ("resume", resume), ("extensions", extensions(m.extensions)),
            ])
        case .handshakeResponse(let m):
            let resume: JSONValue
            switch m.resume {
            case .new: resume = .object([("status", .string("new"))])
            case .resumed(let last): resume = .object([("status", .string("resumed")), ("last_received", number(last))])
            case .failed(let reason): resume = .object([("status", .string("failed")), ("reason", .string(reason.name))])
            }
            return .object([
                ("version", number(m.version)), ("session_id", u64(m.sessionID)), ("resume_token", hex(m.resumeToken)),
                ("heartbeat_millis", number(m.heartbeatMillis)), ("credit_messages", number(m.creditMessages)),
                ("credit_bytes", number(m.creditBytes)), ("max_message_bytes", number(m.maxMessageBytes)),
                ("resume", resume), ("extensions", extensions(m.extensions)),
            ])
        case .heartbeat(let m):
            return .object([("kind", .string(m.kind == .ping ? "ping" : "pong")), ("value", u64(m.value))])
        case .close(let m):
            return .object([
                ("code", number(m.code.rawValue)), ("retry_after_millis", number(m.retryAfterMillis)),
                ("retry_jitter_millis", number(m.retryJitterMillis)), ("reason", .string(m.reason)),
            ])
        case .error(let m):
            let ref: UInt32
            switch m.reference {
            case .none: ref = 0
            case .request(let v), .sequence(let v), .channel(let v): ref = v
            }
            return .object([
                ("code", number(m.code.rawValue)), ("ref_kind", .string(m.reference.kindName)),
                ("ref", number(ref)), ("message", .string(m.message)),
            ])
        case .windowUpdate(let m):
            return .object([("channel", number(m.channel)), ("messages", number(m.messages)), ("bytes", number(m.bytes))])
        case .textData(let m), .binaryData(let m):
            return .object([("route", route(m.route)), ("payload", hex(m.payload))])
        case .deltaUpdate(let m):
            return .object([
                ("route", route(m.route)), ("key", .string(m.key)), ("version", number(m.version)),
                ("checksum", number(m.checksum)), ("payload", hex(m.payload)),
            ])
        case .subscribe(let m):
            let recover: JSONValue = m.recover.map { .object([("epoch", u64($0.epoch)), ("offset", u64($0.offset))]) } ?? .null
            return .object([("request_id", number(m.requestID)), ("pattern", .string(m.pattern)), ("recover", recover)])
        case .unsubscribe(let m):
            return .object([("request_id", number(m.requestID)), ("channel", number(m.channel))])
        case .acknowledge(let m):
            return .object([("sequence", number(m.sequence))])
        case .snapshotRequest(let m):
            return .object([("request_id", number(m.requestID)), ("topic", .string(m.topic)), ("key", .string(m.key))])
        case .subscribeResult(let m):
            return .object([
                ("request_id", number(m.requestID)), ("channel", number(m.channel)), ("epoch", u64(m.epoch)),
                ("offset", u64(m.offset)), ("recovery", .string(m.recovery.name)),
            ])
        }
    }

    public static func route(_ route: Route) -> JSONValue {
        switch route {
        case .channel(let alias): return .object([("kind", .string("channel")), ("alias", number(alias))])
        case .bind(let alias, let topic): return .object([("kind", .string("bind")), ("alias", number(alias)), ("topic", .string(topic))])
        case .topic(let topic): return .object([("kind", .string("topic")), ("topic", .string(topic))])
        case .session(let id): return .object([("kind", .string("session")), ("session_id", u64(id))])
        case .user(let user): return .object([("kind", .string("user")), ("user_id", .string(user))])
        }
    }

    /// A decoding error in the vectors' shape.
    public static func error(_ error: WireError) -> JSONValue {
        .object([("error", .string(error.code.rawValue)), ("offset", .number(Int64(error.offset))), ("message", .string(error.message))])
    }

    static func extensions(_ list: [HandshakeExtension]) -> JSONValue {
        .array(list.map { .object([("id", number($0.id)), ("value", hex($0.value))]) })
    }

    static func number(_ value: some BinaryInteger) -> JSONValue { .number(Int64(value)) }
    static func u64(_ value: UInt64) -> JSONValue { .string(String(value)) }
    static func hex(_ buffer: ByteBuffer) -> JSONValue { .string(Hex.encode(buffer)) }
}
