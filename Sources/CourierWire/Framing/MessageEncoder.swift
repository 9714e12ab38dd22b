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

    func encodeV2(_ message: CourierMessage, into buffer: inout ByteBuffer, includeLength: Bool) throws(WireError) {
        let flagsIndex = try V2Header.write(type: message.type, header: message.header, into: &buffer)
        guard includeLength else {
            try message.body.encode(into: &buffer, .v2)
            return
        }
        buffer.setInteger(buffer.getInteger(at: flagsIndex, as: UInt8.self)! | V2Header.hasLength, at: flagsIndex)
        let lengthIndex = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: Self.lengthReserve)
        let bodyStart = buffer.writerIndex
        try message.body.encode(into: &buffer, .v2)
        let bodyLength = buffer.writerIndex - bodyStart
        let lengthSize = VarInt.encodedLength(UInt64(bodyLength))
        guard lengthSize <= Self.lengthReserve else {
            throw WireError(.payloadTooLarge, at: lengthIndex, "body of \(bodyLength) bytes is too large")
        }
        if lengthSize < Self.lengthReserve {
            _ = try? buffer.copyBytes(at: bodyStart, to: lengthIndex + lengthSize, length: bodyLength)
            buffer.moveWriterIndex(to: lengthIndex + lengthSize + bodyLength)
        }
        buffer.setVarInt(UInt64(bodyLength), at: lengthIndex)
    }
}
