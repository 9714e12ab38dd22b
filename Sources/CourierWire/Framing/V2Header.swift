import NIOCore

/// The version 2 header: flags, compact type, then optional fields
/// (`docs/PROTOCOL.md` §4).
public enum V2Header {
    public static let hasTimestamp: UInt8 = 0x10
    public static let hasSequence: UInt8 = 0x20
    public static let hasSession: UInt8 = 0x40
    public static let hasLength: UInt8 = 0x80

    struct Parsed {
        var type: MessageType
        var header: MessageHeader
        var bodyStart: Int
        var bodyLength: Int
        var hasLength: Bool
    }

    /// Parses and checks the header at `start` in the order of §8.1, without moving the
    /// reader index. Nil when `allowPartial` and the header is cut short.
    static func parse(_ buffer: ByteBuffer, at start: Int, offset: Int, limits: WireLimits, allowPartial: Bool) throws(WireError) -> Parsed? {
        let end = buffer.writerIndex
        func truncated() throws(WireError) -> Parsed? {
            if allowPartial { return nil }
            throw WireError(.truncatedHeader, at: offset, "the v2 header is cut short by the end of the message")
        }
        guard end - start >= 2 else { return try truncated() }
        let flagsByte = buffer.getInteger(at: start, as: UInt8.self)!
        let compact = buffer.getInteger(at: start + 1, as: UInt8.self)!
        guard let type = MessageType(compactCode: compact), type.isKnown else {
            let value = MessageType(compactCode: compact).map { "0x\(hex4($0.rawValue))" } ?? "(none)"
            throw WireError(.unknownMessageType, at: offset + 1, "compact type 0x\(String(compact, radix: 16)) (type \(value)) is not defined")
        }
        let flags = MessageFlags(rawValue: flagsByte & 0x0F)
        let extra = flags.subtracting(type.allowedFlags)
        guard extra.isEmpty else {
            throw WireError(.flagNotAllowed, at: offset, "flag \(extra) is not allowed on \(type.name)")
        }
        if flagsByte & hasSequence != 0 && !flags.contains(.ackRequested) {
            throw WireError(.flagNotAllowed, at: offset, "HAS_SEQUENCE without ACK_REQUESTED")
        }
        var position = start + 2
        var header = MessageHeader(flags: flags)
        if flagsByte & hasSession != 0 {
            guard let id = buffer.getInteger(at: position, as: UInt64.self), position + 8 <= end else { return try truncated() }
            header.sessionID = id
            position += 8
        }
        // Reads a varint field; nil result means "truncated" (already handled when partial).
        func varint(_ field: String, max: UInt64) throws(WireError) -> UInt64? {
            switch VarInt.read(from: buffer, at: position) {
            case .value(let value, let length):
                guard value <= max else {
                    throw WireError(.invalidVarint, at: offset + position - start, "\(field) \(value) exceeds \(max)")
                }
                position += length
                return value
            case .truncated:
                if allowPartial { return nil }
                throw WireError(.truncatedHeader, at: offset, "the v2 header is cut short inside the \(field)")
            case .invalid:
                throw WireError(.invalidVarint, at: offset + position - start, "\(field) varint is not minimal or exceeds 64 bits")
            }
        }
        if flagsByte & hasSequence != 0 {
            let sequenceOffset = offset + position - start
            guard let sequence = try varint("sequence", max: UInt64(UInt32.max)) else { return nil }
            guard sequence != 0 else {
                throw WireError(.invalidValue, at: sequenceOffset, "sequence 0 is never used for a reliable message")
            }
            header.sequence = UInt32(sequence)
        }
        if flagsByte & hasTimestamp != 0 {
            guard let timestamp = try varint("timestamp", max: .max) else { return nil }
            header.timestamp = timestamp
        }
        let bodyLength: Int
        let withLength = flagsByte & hasLength != 0
        if withLength {
            let lengthOffset = offset + position - start
            guard let length = try varint("body length", max: .max) else { return nil }
            guard length <= UInt64(limits.maxMessageBytes) else {
                throw WireError(.payloadTooLarge, at: lengthOffset, "body length \(length) exceeds the limit of \(limits.maxMessageBytes)")
            }
            bodyLength = Int(length)
        } else {
            bodyLength = end - position
            guard bodyLength <= limits.maxMessageBytes else {
                throw WireError(.payloadTooLarge, at: offset + position - start, "body of \(bodyLength) bytes exceeds the limit of \(limits.maxMessageBytes)")
            }
        }
        return Parsed(type: type, header: header, bodyStart: position, bodyLength: bodyLength, hasLength: withLength)
    }

    /// Writes the header up to (not including) the body length; returns the flags byte
    /// position so the caller can set HAS_LENGTH.
    static func write(type: MessageType, header: MessageHeader, into buffer: inout ByteBuffer) throws(WireError) -> Int {
        let start = buffer.writerIndex
        try V1Header.checkFlags(header, type, at: start)
        guard let compact = type.compactCode else {
            throw WireError(.unknownMessageType, at: start + 1, "type 0x\(hex4(type.rawValue)) has no compact code")
        }
        var flagsByte = header.flags.rawValue
        if header.sessionID != nil { flagsByte |= hasSession }
        if let sequence = header.sequence {
            guard header.isReliable else {
                throw WireError(.flagNotAllowed, at: start, "a sequence on a message without ACK_REQUESTED")
            }
            guard sequence != 0 else { throw WireError(.invalidValue, at: start + 2, "sequence 0 is never used") }
            flagsByte |= hasSequence
        }
        if header.timestamp != nil { flagsByte |= hasTimestamp }
        buffer.writeMultipleIntegers(flagsByte, compact)
        if let id = header.sessionID { buffer.writeInteger(id) }
        if let sequence = header.sequence { buffer.writeVarInt(UInt64(sequence)) }
        if let timestamp = header.timestamp { buffer.writeVarInt(timestamp) }
        return start
    }
}
