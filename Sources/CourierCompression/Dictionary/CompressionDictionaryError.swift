/// Why a dictionary could not be made or a dictionary file could not be read.
public struct CompressionDictionaryError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case tooLarge(size: Int, limit: Int)
        case truncated(needed: Int, available: Int)
        case badMagic
        case unsupportedFormatVersion(UInt16)
        case lengthMismatch(declared: Int, available: Int)
        case checksumMismatch(expected: UInt32, actual: UInt32)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The dictionary has more bytes than deflate's 32 KiB window can use.
    public static func tooLarge(size: Int, limit: Int) -> Self { Self(.tooLarge(size: size, limit: limit)) }
    /// The file ends before its header does.
    public static func truncated(needed: Int, available: Int) -> Self { Self(.truncated(needed: needed, available: available)) }
    /// The file does not start with `CDIC`.
    public static let badMagic = Self(.badMagic)
    /// The file's format version is newer than this code reads.
    public static func unsupportedFormatVersion(_ version: UInt16) -> Self { Self(.unsupportedFormatVersion(version)) }
    /// The declared length differs from the bytes that follow the header.
    public static func lengthMismatch(declared: Int, available: Int) -> Self { Self(.lengthMismatch(declared: declared, available: available)) }
    /// The CRC-32 stored in the file differs from the CRC-32 of its bytes.
    public static func checksumMismatch(expected: UInt32, actual: UInt32) -> Self { Self(.checksumMismatch(expected: expected, actual: actual)) }

    public var description: String {
        switch base {
        case .tooLarge(let size, let limit): return "dictionary of \(size) bytes is larger than \(limit) bytes"
        case .truncated(let needed, let available): return "dictionary file truncated: needs \(needed) header bytes, has \(available)"
        case .badMagic: return "not a Courier dictionary file (magic is not \"CDIC\")"
        case .unsupportedFormatVersion(let version): return "unsupported dictionary file format version \(version)"
        case .lengthMismatch(let declared, let available): return "dictionary file declares \(declared) bytes but holds \(available)"
        case .checksumMismatch(let expected, let actual):
            return "dictionary file checksum mismatch: stored 0x\(String(expected, radix: 16)), computed 0x\(String(actual, radix: 16))"
        }
    }
}
