import NIOCore

/// Hex text in and out.
public enum Hex {
    /// Lowercase hex of the readable bytes.
    public static func encode(_ buffer: ByteBuffer) -> String {
        encode(buffer.readableBytesView)
    }

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var out = ""
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses hex, ignoring whitespace, `:` and `-` separators and `0x` prefixes.
    public static func decode(_ text: String) throws -> [UInt8] {
        var cleaned = ""
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == ":" || $0 == "-" || $0 == "," }) {
            cleaned += token.hasPrefix("0x") || token.hasPrefix("0X") ? token.dropFirst(2) : token
        }
        guard cleaned.count % 2 == 0 else {
            throw ParseError(description: "hex input has an odd number of digits (\(cleaned.count))")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(cleaned.count / 2)
        var index = cleaned.startIndex
        var position = 0
        while index < cleaned.endIndex {
            let next = cleaned.index(index, offsetBy: 2)
            guard let byte = UInt8(cleaned[index..<next], radix: 16) else {
                throw ParseError(description: "'\(cleaned[index..<next])' at hex digit \(position) is not hex")
            }
            bytes.append(byte)
            index = next
            position += 2
        }
        return bytes
    }

    /// A classic 16-bytes-per-line dump; `mark` underlines one byte offset.
    public static func dump(_ bytes: [UInt8], baseOffset: Int = 0, mark: Int? = nil, indent: String = "  ") -> String {
        var lines: [String] = []
        var lineStart = 0
        while lineStart < bytes.count {
            let line = bytes[lineStart..<min(lineStart + 16, bytes.count)]
            let offset = String(baseOffset + lineStart, radix: 16)
            var text = indent + String(repeating: "0", count: max(0, 4 - offset.count)) + offset + "  "
            text += line.map { encode([$0]) }.joined(separator: " ")
            text += String(repeating: " ", count: (16 - line.count) * 3)
            text += "  |" + String(line.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." }) + "|"
            lines.append(text)
            if let mark, mark >= baseOffset + lineStart, mark < baseOffset + lineStart + line.count {
                let column = indent.count + 6 + (mark - baseOffset - lineStart) * 3
                lines.append(String(repeating: " ", count: column) + "^^ byte \(mark)")
            }
            lineStart += 16
        }
        if let mark, mark >= baseOffset + bytes.count {
            lines.append(indent + "^^ byte \(mark) (past the end of the input)")
        }
        return lines.joined(separator: "\n")
    }
}

