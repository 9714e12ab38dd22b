/// The dictionary file format (`courier dict train` writes it, `courier dict inspect`
/// reads it). All integers big-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `CDIC` (0x43 0x44 0x49 0x43) |
/// | 4 | 2 | format version, 1 |
/// | 6 | 4 | dictionary id |
/// | 10 | 4 | dictionary version |
/// | 14 | 4 | length *n* of the bytes, at most 32,768 |
/// | 18 | *n* | the dictionary bytes |
/// | 18 + *n* | 4 | CRC-32 (ISO-HDLC, zlib's `crc32`) of the dictionary bytes |
///
/// The file is exactly 22 + *n* bytes; anything else is an error.
extension CompressionDictionary {
    public static let fileMagic: [UInt8] = Array("CDIC".utf8)
    public static let fileFormatVersion: UInt16 = 1
    /// Bytes before the dictionary content.
    public static let fileHeaderSize = 18

    /// The dictionary as a file.
    public func encoded() -> [UInt8] {
        var out = Self.fileMagic
        out.reserveCapacity(Self.fileHeaderSize + bytes.count + 4)
        Self.append(Self.fileFormatVersion, to: &out)
        Self.append(id, to: &out)
        Self.append(version, to: &out)
        Self.append(UInt32(bytes.count), to: &out)
        out += bytes
        Self.append(checksum, to: &out)
        return out
    }

    /// Reads a dictionary file, checking magic, format version, length and CRC-32.
    public init(decoding file: some Collection<UInt8>) throws {
        let file = Array(file)
        guard file.count >= Self.fileHeaderSize + 4 else {
            throw CompressionDictionaryError.truncated(needed: Self.fileHeaderSize + 4, available: file.count)
        }
        guard Array(file[0..<4]) == Self.fileMagic else { throw CompressionDictionaryError.badMagic }
        let formatVersion = UInt16(Self.readBigEndian(file, count: 2, at: 4))
        guard formatVersion == Self.fileFormatVersion else { throw CompressionDictionaryError.unsupportedFormatVersion(formatVersion) }
        let id = Self.readBigEndian(file, count: 4, at: 6)
        let version = Self.readBigEndian(file, count: 4, at: 10)
        let declared = Int(Self.readBigEndian(file, count: 4, at: 14))
        guard declared <= Self.maximumSize else { throw CompressionDictionaryError.tooLarge(size: declared, limit: Self.maximumSize) }
        let available = file.count - Self.fileHeaderSize - 4
        guard declared == available else { throw CompressionDictionaryError.lengthMismatch(declared: declared, available: available) }
        let bytes = Array(file[Self.fileHeaderSize..<(Self.fileHeaderSize + declared)])
        let stored = Self.readBigEndian(file, count: 4, at: Self.fileHeaderSize + declared)
        let actual = bytes.withUnsafeBytes { CRC32.checksum($0) }
        guard stored == actual else { throw CompressionDictionaryError.checksumMismatch(expected: stored, actual: actual) }
        try self.init(id: id, version: version, bytes: bytes)
    }

    private static func append(_ value: some FixedWidthInteger, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }

    /// The big-endian integer of `count` bytes at `offset` (the caller has checked the length).
    private static func readBigEndian(_ bytes: [UInt8], count: Int, at offset: Int) -> UInt32 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
