/// What a scan of bytes from the server found.
struct ScanTally {
    /// Data messages (TextData, BinaryData, DeltaUpdate): deliveries.
    var dataMessages = 0
    /// Courier Error messages (for a subscriber, normally 402 "messages dropped").
    var errors = 0
    /// Courier Close messages and WebSocket close frames.
    var closes = 0
    /// Credit granted by WindowUpdate(channel 0) messages.
    var windowMessages = 0
    var windowBytes = 0
    /// Something that is not what this server sends (fragmented or masked frames, a cut
    /// message): the count would be wrong, so the benchmark fails.
    var malformed = 0
}

/// Counts Courier messages in server → client WebSocket frames by reading the frame
/// headers (RFC 6455 §5.2) and the v2 message headers (`docs/PROTOCOL.md` §4) in
/// place: no copy, no allocation, so reader threads add nothing to the malloc count.
enum FrameScanner {
    /// Scans the complete frames at the start of `bytes` and returns how many bytes they
    /// took; an incomplete frame at the end is left for the next call.
    static func scan(_ bytes: UnsafeRawBufferPointer, into tally: inout ScanTally) -> Int {
        var offset = 0
        while bytes.count - offset >= 2 {
            let first = bytes[offset]
            let second = bytes[offset + 1]
            var header = 2
            var length = Int(second & 0x7F)
            if length == 126 {
                guard bytes.count - offset >= 4 else { break }
                length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
                header = 4
            } else if length == 127 {
                guard bytes.count - offset >= 10 else { break }
                var value: UInt64 = 0
                for index in 2..<10 { value = value << 8 | UInt64(bytes[offset + index]) }
                guard value <= UInt64(Int32.max) else {
                    tally.malformed += 1
                    return bytes.count
                }
                length = Int(value)
                header = 10
            }
            guard bytes.count - offset - header >= length else { break }
            let fin = first & 0x80 != 0
            let opcode = first & 0x0F
            if second & 0x80 != 0 || !fin {
                tally.malformed += 1  // server frames are never masked, and this server does not fragment
            } else if opcode == 0x2 {
                countMessages(UnsafeRawBufferPointer(rebasing: bytes[(offset + header)..<(offset + header + length)]), into: &tally)
            } else if opcode == 0x8 {
                tally.closes += 1
            }  // ping (0x9) and pong (0xA): nothing to count
            offset += header + length
        }
        return offset
    }

    /// The full length (header + payload) of the frame at the start of `bytes`, when its
    /// header is complete.
    static func frameLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 2 else { return nil }
        let length = Int(bytes[1] & 0x7F)
        switch length {
        case 126:
            guard bytes.count >= 4 else { return nil }
            return 4 + (Int(bytes[2]) << 8 | Int(bytes[3]))
        case 127:
            guard bytes.count >= 10 else { return nil }
            var value = 0
            for index in 2..<10 { value = value << 8 | Int(bytes[index]) }
            return 10 + value
        default:
            return 2 + length
        }
    }

    /// Counts the v2 messages of one WebSocket message (a batch, §1).
    static func countMessages(_ payload: UnsafeRawBufferPointer, into tally: inout ScanTally) {
        var position = 0
        let end = payload.count
        while position < end {
            guard end - position >= 2 else {
                tally.malformed += 1
                return
            }
            let flags = payload[position]
            let compactType = payload[position + 1]
            position += 2
            if flags & 0x40 != 0 { position += 8 }  // HAS_SESSION
            if flags & 0x20 != 0, skipVarInt(payload, &position) == nil {  // HAS_SEQUENCE
                tally.malformed += 1
                return
            }
            if flags & 0x10 != 0, skipVarInt(payload, &position) == nil {  // HAS_TIMESTAMP
                tally.malformed += 1
                return
            }
            var bodyEnd = end
            if flags & 0x80 != 0 {  // HAS_LENGTH; otherwise the body runs to the end
                guard let length = readVarInt(payload, &position), length <= UInt64(end) else {
                    tally.malformed += 1
                    return
                }
                bodyEnd = position + Int(length)
            }
            guard position <= bodyEnd, bodyEnd <= end else {
                tally.malformed += 1
                return
            }
            switch compactType {
            case 0x41, 0x42, 0x43:  // TextData, BinaryData, DeltaUpdate
                tally.dataMessages += 1
            case 0x06:  // Error
                tally.errors += 1
            case 0x04:  // Close
                tally.closes += 1
            case 0x07:  // WindowUpdate: channel, messages, bytes (varints)
                var field = position
                if let channel = readVarInt(payload, &field), let messages = readVarInt(payload, &field),
                   let bytes = readVarInt(payload, &field), field <= bodyEnd, channel == 0 {
                    tally.windowMessages += Int(truncatingIfNeeded: messages)
                    tally.windowBytes += Int(truncatingIfNeeded: bytes)
                }
            default:
                break
            }
            position = bodyEnd
        }
    }

    static func readVarInt(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    static func skipVarInt(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64? {
        readVarInt(bytes, &position)
    }
}
