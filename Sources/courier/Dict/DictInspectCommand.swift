import ArgumentParser
import CourierCompression
import Foundation

/// `courier dict inspect FILE`: what a dictionary file holds.
struct DictInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a dictionary file: id, version, size, CRC-32, a preview and its most frequent substrings."
    )

    @Argument(help: "The dictionary file.") var file: String
    @Option(help: "Bytes of preview from the end (the most valuable part).") var preview = 240
    @Option(help: "Length of the substrings counted.") var substring = 8
    @Option(help: "How many frequent substrings to list.") var top = 10

    func run() throws {
        let dictionary = try CompressionDictionary(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        print("id        \(dictionary.id)")
        print("version   \(dictionary.version)")
        print("size      \(dictionary.bytes.count) bytes")
        print("crc32     \(Self.hex(dictionary.checksum)) (verified)")
        print("end of the dictionary (nearest to each message, most valuable):")
        print("  " + Self.printable(dictionary.bytes.suffix(preview)))
        print("most frequent \(substring)-byte substrings:")
        for (text, count) in Self.frequentSubstrings(dictionary.bytes, length: substring, top: top) {
            print("  \(String(count).padding(6))\(Self.printable(text))")
        }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// ASCII as is, other bytes as `\xNN`.
    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// The `top` most frequent substrings of `length` bytes (ties in order of first appearance).
    static func frequentSubstrings(_ bytes: [UInt8], length: Int, top: Int) -> [([UInt8], Int)] {
        guard length > 0, bytes.count >= length else { return [] }
        var counts: [[UInt8]: (count: Int, first: Int)] = [:]
        for start in 0...(bytes.count - length) {
            let key = Array(bytes[start..<(start + length)])
            counts[key, default: (0, start)].count += 1
        }
        return counts.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.value.first < $1.value.first }
            .prefix(top).map { ($0.key, $0.value.count) }
    }
}
