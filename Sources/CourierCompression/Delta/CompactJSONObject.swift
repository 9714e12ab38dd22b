/// The members of a **compact** JSON object (no whitespace anywhere), as byte ranges of
/// each key (with its quotes) and each value (a number, string, literal, or a nested
/// object or array kept whole). Every byte of the input belongs to exactly one piece, so
/// `{` key `:` value (`,` key `:` value)* `}` rebuilds the input byte for byte.
///
/// This is a structural scan, not a validating JSON parser: it finds member boundaries
/// (strings with escapes, nesting) and rejects anything it cannot split that way.
struct CompactJSONObject {
    struct Member {
        var key: Range<Int>
        var value: Range<Int>
    }

    let members: [Member]

    /// nil when `bytes` is not one compact JSON object.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var position = 0
        let end = bytes.count
        guard end >= 2, bytes[0] == UInt8(ascii: "{") else { return nil }
        position = 1
        var members: [Member] = []
        if bytes[position] == UInt8(ascii: "}") {
            guard end == 2 else { return nil }
            self.members = []
            return
        }
        while true {
            guard position < end, bytes[position] == UInt8(ascii: "\"") else { return nil }
            guard let keyEnd = Self.skipString(bytes, from: position) else { return nil }
            let key = position..<keyEnd
            position = keyEnd
            guard position < end, bytes[position] == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let valueEnd = Self.skipValue(bytes, from: position), valueEnd > position else { return nil }
            members.append(Member(key: key, value: position..<valueEnd))
            position = valueEnd
            guard position < end else { return nil }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard bytes[position] == UInt8(ascii: "}"), position + 1 == end else { return nil }
            break
        }
        self.members = members
    }

    /// The index just past the string that starts (with its quote) at `start`.
    private static func skipString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var position = start + 1
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""): return position + 1
            case 0x00..<0x20: return nil
            default: position += 1
            }
        }
        return nil
    }

    /// The index just past the value that starts at `start`: a string, a nested object or
    /// array (kept whole), or a bare token (number, true, false, null).
    private static func skipValue(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(bytes, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var position = start
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    guard let next = skipString(bytes, from: position) else { return nil }
                    position = next
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return position + 1 }
                case 0x00...0x20: return nil
                default: break
                }
                position += 1
            }
            return nil
        default:
            var position = start
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { break }
                guard byte > 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "{"), byte != UInt8(ascii: "["),
                      byte != UInt8(ascii: "]"), byte != UInt8(ascii: ":") else { return nil }
                position += 1
            }
            return position
        }
    }
}
