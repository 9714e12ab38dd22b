import CourierCompression
import Testing

@Suite("Dictionary file format")
struct DictionaryFileTests {
    let dictionary = try! CompressionDictionary(id: 0x0102_0304, version: 9, bytes: Array("{\"s\":\"AAPL\",\"p\":".utf8))

    @Test func roundTripAndLayout() throws {
        let file = dictionary.encoded()
        #expect(file.count == 22 + dictionary.bytes.count)
        #expect(Array(file[0..<10]) == [0x43, 0x44, 0x49, 0x43, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04])
        #expect(try CompressionDictionary(decoding: file) == dictionary)
        let empty = try CompressionDictionary(id: 1, version: 1, bytes: [])
        #expect(try CompressionDictionary(decoding: empty.encoded()) == empty)
    }

    @Test func corruptFilesAreTypedErrors() throws {
        let file = dictionary.encoded()
        #expect(throws: CompressionDictionaryError.truncated(needed: 22, available: 10)) { try CompressionDictionary(decoding: file.prefix(10)) }
        var magic = file
        magic[0] = 0x58
        #expect(throws: CompressionDictionaryError.badMagic) { try CompressionDictionary(decoding: magic) }
        var format = file
        format[5] = 2
        #expect(throws: CompressionDictionaryError.unsupportedFormatVersion(2)) { try CompressionDictionary(decoding: format) }
        #expect(throws: CompressionDictionaryError.lengthMismatch(declared: 16, available: 15)) { try CompressionDictionary(decoding: file.dropLast()) }
        var flipped = file
        flipped[20] ^= 0x01
        var flippedBytes = dictionary.bytes
        flippedBytes[2] ^= 0x01
        #expect(throws: CompressionDictionaryError.checksumMismatch(expected: dictionary.checksum, actual: CRC32.checksum(flippedBytes))) {
            try CompressionDictionary(decoding: flipped)
        }
        var huge = file
        huge[14] = 0x00
        huge[15] = 0x01  // 65,536 + 16 bytes declared
        #expect(throws: CompressionDictionaryError.tooLarge(size: 65_552, limit: 32_768)) { try CompressionDictionary(decoding: huge) }
    }

    @Test func aDictionaryIsAtMost32KiB() {
        #expect(throws: CompressionDictionaryError.tooLarge(size: 32_769, limit: 32_768)) {
            try CompressionDictionary(id: 1, version: 1, bytes: [UInt8](repeating: 0, count: 32_769))
        }
    }
}
