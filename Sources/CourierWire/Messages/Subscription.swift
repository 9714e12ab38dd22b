import NIOCore

/// Subscribe (0x0201): subscribe to a topic or pattern, optionally recovering
/// history from an offset (`docs/PROTOCOL.md` §7.11).
public struct Subscribe: Hashable, Sendable {
    public struct Recover: Hashable, Sendable {
        public var epoch: UInt64
        public var offset: UInt64
        public init(epoch: UInt64, offset: UInt64) {
            self.epoch = epoch
            self.offset = offset
        }
    }

    public var requestID: UInt32
    public var pattern: String
    public var recover: Recover?

    public init(requestID: UInt32, pattern: String, recover: Recover? = nil) {
        self.requestID = requestID
        self.pattern = pattern
        self.recover = recover
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Subscribe {
        let requestID = try reader.int32("request id")
        let pattern = try reader.string("pattern", limit: FieldLimits.pattern)
        let flagOffset = reader.offset
        let recover: Recover?
        switch try reader.u8("recover") {
        case 0: recover = nil
        case 1: recover = Recover(epoch: try reader.int64("epoch"), offset: try reader.int64("offset"))
        case let other: throw reader.invalid("recover", at: flagOffset, "\(other) is not 0 or 1")
        }
        try reader.finish("Subscribe")
        return Subscribe(requestID: requestID, pattern: pattern, recover: recover)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInt32Field(requestID, version)
        try buffer.writeStringField(pattern, limit: FieldLimits.pattern, version, "pattern")
        if let recover {
            buffer.writeInteger(UInt8(1))
            buffer.writeInt64Field(recover.epoch, version)
            buffer.writeInt64Field(recover.offset, version)
        } else {
            buffer.writeInteger(UInt8(0))
        }
    }
}

/// Unsubscribe (0x0202) (`docs/PROTOCOL.md` §7.12).
public struct Unsubscribe: Hashable, Sendable {
    public var requestID: UInt32
    public var channel: UInt32

    public init(requestID: UInt32, channel: UInt32) {
        self.requestID = requestID
        self.channel = channel
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Unsubscribe {
        let requestID = try reader.int32("request id")
        let channelOffset = reader.offset
        let channel = try reader.int32("channel")
        guard channel != 0 else { throw reader.invalid("channel", at: channelOffset, "alias 0 is reserved") }
        try reader.finish("Unsubscribe")
        return Unsubscribe(requestID: requestID, channel: channel)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInt32Field(requestID, version)
        guard channel != 0 else { throw WireError(.invalidValue, at: buffer.writerIndex, "channel: alias 0 is reserved") }
        buffer.writeInt32Field(channel, version)
    }
}

/// SubscribeResult (0x0204): the channel alias a subscription is delivered on, and
/// where its history stands (`docs/PROTOCOL.md` §7.14).
public struct SubscribeResult: Hashable, Sendable {
    public enum Recovery: UInt8, Hashable, Sendable {
        case notRequested = 0
        case recovered = 1
        case failed = 2

        public var name: String {
            switch self {
            case .notRequested: return "not_requested"
            case .recovered: return "recovered"
            case .failed: return "failed"
            }
        }
    }

    public var requestID: UInt32
    public var channel: UInt32
    public var epoch: UInt64
    public var offset: UInt64
    public var recovery: Recovery

    public init(requestID: UInt32, channel: UInt32, epoch: UInt64, offset: UInt64, recovery: Recovery) {
        self.requestID = requestID
        self.channel = channel
        self.epoch = epoch
        self.offset = offset
        self.recovery = recovery
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> SubscribeResult {
        let requestID = try reader.int32("request id")
        let channelOffset = reader.offset
        let channel = try reader.int32("channel")
        guard channel != 0 else { throw reader.invalid("channel", at: channelOffset, "alias 0 is reserved") }
        let epoch = try reader.int64("epoch")
        let offset = try reader.int64("offset")
        let recoveryOffset = reader.offset
        let raw = try reader.u8("recovery")
        guard let recovery = Recovery(rawValue: raw) else {
            throw reader.invalid("recovery", at: recoveryOffset, "\(raw) is not 0, 1 or 2")
        }
        try reader.finish("SubscribeResult")
        return SubscribeResult(requestID: requestID, channel: channel, epoch: epoch, offset: offset, recovery: recovery)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInt32Field(requestID, version)
        guard channel != 0 else { throw WireError(.invalidValue, at: buffer.writerIndex, "channel: alias 0 is reserved") }
        buffer.writeInt32Field(channel, version)
        buffer.writeInt64Field(epoch, version)
        buffer.writeInt64Field(offset, version)
        buffer.writeInteger(recovery.rawValue)
    }
}
