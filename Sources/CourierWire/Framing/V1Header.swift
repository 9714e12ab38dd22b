import NIOCore

/// The version 1 header: 30 bytes, big-endian (`docs/PROTOCOL.md` §3).
public enum V1Header {
    public static let magic: UInt16 = 0xC0D1
    public static let size = 30

    struct Parsed {
        var type: MessageType
        var header: MessageHeader
        var bodyLength: Int
    }

    /// Parses and checks the header at `start` in the order of §8.1, without moving
    /// the reader index. Nil when `allowPartial` and fewer than 30 bytes are there.
    static func parse(_ buffer: ByteBuffer, at start: Int, offset: Int, limits: WireLimits, allowPartial: Bool) throws(WireError) -> Parsed? {
        guard buffer.writerIndex - start >= size else {
            if allowPartial { return nil }
            throw WireError(.truncatedHeader, at: offset, "a v1 header needs 30 bytes, \(buffer.writerIndex - start) remain")
        }
        let magic = buffer.getInteger(at: start, as: UInt16.self)!
        guard magic == Self.magic else {
            throw WireError(.badMagic, at: offset, "magic is 0x\(hex4(magic)), expected 0xC0D1")
        }
        let version = buffer.getInteger(at: start + 2, as: UInt8.self)!
        guard version == ProtocolVersion.v1.rawValue else {
            throw WireError(.unsupportedVersion, at: offset + 2, "version byte is \(version) on a courier.v1 connection")
        }
        let flagsByte = buffer.getInteger(at: start + 3, as: UInt8.self)!
        guard flagsByte & 0xF0 == 0 else {
            throw WireError(.flagNotAllowed, at: offset + 3, "reserved flag bits 0x\(String(flagsByte & 0xF0, radix: 16)) are set")
        }
        let type = MessageType(rawValue: buffer.getInteger(at: start + 4, as: UInt16.self)!)
        guard type.isKnown else {
            throw WireError(.unknownMessageType, at: offset + 4, "type 0x\(hex4(type.rawValue)) is not defined")
        }
        let flags = MessageFlags(rawValue: flagsByte)
        let extra = flags.subtracting(type.allowedFlags)
        guard extra.isEmpty else {
            throw WireError(.flagNotAllowed, at: offset + 3, "flag \(extra) is not allowed on \(type.name)")
        }
        let sessionID = buffer.getInteger(at: start + 6, as: UInt64.self)!
        let sequence = buffer.getInteger(at: start + 14, as: UInt32.self)!
        if flags.contains(.ackRequested) {
            guard sequence != 0 else {
                throw WireError(.invalidValue, at: offset + 14, "a reliable message (ACK_REQUESTED) needs a sequence other than 0")
            }
        } else if sequence != 0 {
            throw WireError(.invalidValue, at: offset + 14, "sequence \(sequence) on a message without ACK_REQUESTED; it must be 0")
        }
        let timestamp = buffer.getInteger(at: start + 18, as: UInt64.self)!
        let length = buffer.getInteger(at: start + 26, as: UInt32.self)!
        guard UInt64(length) <= UInt64(limits.maxMessageBytes) else {
            throw WireError(.payloadTooLarge, at: offset + 26, "payload length \(length) exceeds the limit of \(limits.maxMessageBytes)")
        }
        let header = MessageHeader(
            flags: flags, sessionID: sessionID,
            sequence: flags.contains(.ackRequested) ? sequence : nil, timestamp: timestamp
        )
        return Parsed(type: type, header: header, bodyLength: Int(length))
    }

    static func write(type: MessageType, header: MessageHeader, into buffer: inout ByteBuffer) throws(WireError) -> Int {
        let start = buffer.writerIndex
        try checkFlags(header, type, at: start)
        if header.isReliable {
            guard let sequence = header.sequence, sequence != 0 else {
                throw WireError(.invalidValue, at: start + 14, "a reliable v1 message needs an explicit sequence other than 0")
            }
        } else if let sequence = header.sequence, sequence != 0 {
            throw WireError(.invalidValue, at: start + 14, "sequence \(sequence) on a message without ACK_REQUESTED")
        }
        buffer.writeMultipleIntegers(
            magic, ProtocolVersion.v1.rawValue, header.flags.rawValue, type.rawValue,
            header.sessionID ?? 0, header.sequence ?? 0, header.timestamp ?? 0, UInt32(0)
        )
        return start + 26
    }

    static func checkFlags(_ header: MessageHeader, _ type: MessageType, at offset: Int) throws(WireError) {
        let extra = header.flags.subtracting(type.allowedFlags)
        guard extra.isEmpty, header.flags.isSubset(of: .all) else {
            throw WireError(.flagNotAllowed, at: offset, "flag \(extra) is not allowed on \(type.name)")
        }
    }
}
