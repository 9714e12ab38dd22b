import NIOCore

/// Encodes Courier messages of one header version, appending to a caller's buffer
/// (reuse the buffer and encoding allocates nothing).
///
/// The encoder checks what the decoder checks (flags allowed on the type, sequence
/// rules, field limits), so it never writes bytes a conforming peer would reject.
public struct MessageEncoder: Sendable {
    public var version: ProtocolVersion

    public init(version: ProtocolVersion) {
        self.version = version
    }

    /// Appends one message. In v2, `includeLength: false` omits HAS_LENGTH: only for
    /// the last message of a WebSocket message.
    public func encode(_ message: CourierMessage, into buffer: inout ByteBuffer, includeLength: Bool = true) throws(WireError) {
        let start = buffer.writerIndex
        do {
            switch version {
            case .v1: try encodeV1(message, into: &buffer)
            case .v2: try encodeV2(message, into: &buffer, includeLength: includeLength)
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Appends a batch: every message but the last with its length (v2: the last
    /// without, unless `lengthOnLast`).
    public func encodeBatch(_ messages: [CourierMessage], into buffer: inout ByteBuffer, lengthOnLast: Bool = false) throws(WireError) {
        for (index, message) in messages.enumerated() {
            try encode(message, into: &buffer, includeLength: lengthOnLast || index < messages.count - 1)
        }
    }

    /// Appends an Acknowledge of `sequence` (§7.13) without building a message: the
    /// same bytes as `encode` of `CourierMessage(body: .acknowledge(Acknowledge(sequence:)))`.
    /// A server owes one after nearly every read batch, so v2 writes it directly: no
    /// header flags, the compact type, the optional length, the sequence varint.
    public func encodeAcknowledge(_ sequence: UInt32, into buffer: inout ByteBuffer, includeLength: Bool = true) {
        guard version == .v2 else {
            // A v1 Acknowledge is a fixed 34 bytes: nothing in it can be refused.
            try? encodeV1(CourierMessage(body: .acknowledge(Acknowledge(sequence: sequence))), into: &buffer)
            return
        }
        if includeLength {
            let bodyLength = VarInt.encodedLength(UInt64(sequence))
            buffer.writeMultipleIntegers(V2Header.hasLength, Self.acknowledgeCode, UInt8(bodyLength))
        } else {
            buffer.writeMultipleIntegers(UInt8(0), Self.acknowledgeCode)
        }
        buffer.writeVarInt(UInt64(sequence))
    }

    /// Acknowledge's compact type code (0x0203 → 0x83).
    static let acknowledgeCode = MessageType.acknowledge.compactCode!

    func encodeV1(_ message: CourierMessage, into buffer: inout ByteBuffer) throws(WireError) {
        let lengthIndex = try V1Header.write(type: message.type, header: message.header, into: &buffer)
        let bodyStart = buffer.writerIndex
        try message.body.encode(into: &buffer, .v1)
        let bodyLength = buffer.writerIndex - bodyStart
        guard bodyLength <= Int(UInt32.max) else {
            throw WireError(.payloadTooLarge, at: lengthIndex, "body of \(bodyLength) bytes does not fit a u32 length")
        }
        buffer.setInteger(UInt32(bodyLength), at: lengthIndex)
    }

    /// Room reserved for the v2 body length varint (bodies up to 2^35 − 1 bytes).
    static let lengthReserve = 5

    /// Appends a TextData/BinaryData message given by parts: the server encodes a
    /// publication's shared payload for each recipient this way, with the recipient's
    /// header and route, without building a message. The payload is copied once, into
    /// `buffer`, and nothing else is moved.
    public func encodeData(type: MessageType, header: MessageHeader, route: Route, payload: ByteBuffer, into buffer: inout ByteBuffer, includeLength: Bool = true) throws(WireError) {
        guard version == .v2 else {
            let body: MessageBody = type == .textData ? .textData(DataMessage(route: route, payload: payload)) : .binaryData(DataMessage(route: route, payload: payload))
            return try encode(CourierMessage(header: header, body: body), into: &buffer, includeLength: includeLength)
        }
        let start = buffer.writerIndex
        do {
            try encodeDataV2(type: type, header: header, route: route, payload: payload, into: &buffer, includeLength: includeLength)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Appends everything of a v2 TextData/BinaryData message but its payload, whose
    /// `payloadLength` bytes the caller sends right after these (a gather write of a
    /// payload shared by many recipients, never copied). v2 only.
    public func encodeDataHeader(type: MessageType, header: MessageHeader, route: Route, payloadLength: Int, into buffer: inout ByteBuffer, includeLength: Bool = true) throws(WireError) {
        precondition(version == .v2, "encodeDataHeader is for v2")
        let start = buffer.writerIndex
        do {
            try encodeDataV2(type: type, header: header, route: route, payload: nil, payloadLength: payloadLength, into: &buffer, includeLength: includeLength)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// v2 data: the length is known once the route is written, so only the route (a few
    /// bytes) moves when the length takes fewer bytes than reserved, never the payload.
    func encodeDataV2(type: MessageType, header: MessageHeader, route: Route, payload: ByteBuffer?, payloadLength: Int? = nil, into buffer: inout ByteBuffer, includeLength: Bool) throws(WireError) {
        let flagsIndex = try V2Header.write(type: type, header: header, into: &buffer)
        guard includeLength else {
            try route.encode(into: &buffer, .v2)
            if let payload { buffer.writeImmutableBuffer(payload) }
            return
        }
        try Self.writeWithLength(flagsIndex: flagsIndex, trailing: payload?.readableBytes ?? payloadLength ?? 0, into: &buffer) { (buffer: inout ByteBuffer) throws(WireError) in
            try route.encode(into: &buffer, .v2)
        }
        if let payload { buffer.writeImmutableBuffer(payload) }
    }

    func encodeV2(_ message: CourierMessage, into buffer: inout ByteBuffer, includeLength: Bool) throws(WireError) {
        switch message.body {
        case .textData(let data), .binaryData(let data):
            return try encodeDataV2(type: message.type, header: message.header, route: data.route, payload: data.payload, into: &buffer, includeLength: includeLength)
        default:
            break
        }
        let flagsIndex = try V2Header.write(type: message.type, header: message.header, into: &buffer)
        guard includeLength else {
            try message.body.encode(into: &buffer, .v2)
            return
        }
        try Self.writeWithLength(flagsIndex: flagsIndex, trailing: 0, into: &buffer) { (buffer: inout ByteBuffer) throws(WireError) in
            try message.body.encode(into: &buffer, .v2)
        }
    }

    /// Sets HAS_LENGTH on the header at `flagsIndex`, then writes the body length and
    /// what `body` writes, the length counting `trailing` more bytes the caller appends
    /// after. The length goes into a reserved 5 bytes; when it takes fewer, only what
    /// `body` wrote moves back (for data messages: the route, never the payload).
    static func writeWithLength(flagsIndex: Int, trailing: Int, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws(WireError) -> Void) throws(WireError) {
        buffer.setInteger(buffer.getInteger(at: flagsIndex, as: UInt8.self)! | V2Header.hasLength, at: flagsIndex)
        let lengthIndex = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: lengthReserve)
        let start = buffer.writerIndex
        try body(&buffer)
        let written = buffer.writerIndex - start
        let bodyLength = written + trailing
        let lengthSize = VarInt.encodedLength(UInt64(bodyLength))
        guard lengthSize <= lengthReserve else {
            throw WireError(.payloadTooLarge, at: lengthIndex, "body of \(bodyLength) bytes is too large")
        }
        if lengthSize < lengthReserve {
            _ = try? buffer.copyBytes(at: start, to: lengthIndex + lengthSize, length: written)
            buffer.moveWriterIndex(to: lengthIndex + lengthSize + written)
        }
        buffer.setVarInt(UInt64(bodyLength), at: lengthIndex)
    }
}
