import CourierCompression
import NIOCore
import Testing

@Suite("Per-message deflate: dictionaries, skipping, bounded inflate")
struct MessageDeflateTests {
    static let sample = Array(#"{"s":"QXR","p":187.23,"b":187.22,"bs":300,"a":187.25,"as":500,"v":1843200,"t":1764547200123}"#.utf8)
    static let dictionary = try! CompressionDictionary(
        id: 7, version: 1,
        bytes: Array(String(repeating: #"{"s":"ABC","p":100.00,"b":99.99,"bs":100,"a":100.01,"as":200,"v":1000000,"t":1764547200000}"#, count: 4).utf8)
    )

    @Test func roundTripWithoutDictionary() throws {
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        let input = Array(String(repeating: "hello, courier. ", count: 20).utf8)
        let compressed = try #require(try compressor.compress(input))
        #expect(compressed.count < input.count)
        #expect(try decompressor.decompress(compressed, maxOutput: 1_000) == input)
    }

    @Test func roundTripWithDictionaryIsSmallerThanWithout() throws {
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        let plain = try compressor.compress(Self.sample)
        let withDictionary = try #require(try compressor.compress(Self.sample, dictionary: Self.dictionary))
        #expect(withDictionary.count < (plain?.count ?? Self.sample.count))
        #expect(try decompressor.decompress(withDictionary, dictionary: Self.dictionary, maxOutput: 1_000) == Self.sample)
        // The same stream is reused: a second message, then one without dictionary, still round-trips.
        let again = try #require(try compressor.compress(Self.sample, dictionary: Self.dictionary))
        #expect(again == withDictionary)
        if let plain { #expect(try decompressor.decompress(plain, maxOutput: 1_000) == Self.sample) }
    }

    @Test func byteBufferAPIAppendsAndLeavesTheBufferAloneWhenItDoesNotPay() throws {
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        var output = ByteBuffer(bytes: [0xAA])
        #expect(try compressor.compress(ByteBuffer(bytes: Self.sample), dictionary: Self.dictionary, appendingTo: &output))
        let compressed = output.getSlice(at: 1, length: output.readableBytes - 1)!
        var restored = ByteBuffer()
        let count = try decompressor.decompress(compressed, dictionary: Self.dictionary, maxOutput: 1_000, appendingTo: &restored)
        #expect(count == Self.sample.count)
        #expect(Array(restored.readableBytesView) == Self.sample)

        var untouched = ByteBuffer(bytes: [1, 2, 3])
        let random = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) ^ UInt8(truncatingIfNeeded: $0 >> 3) }
        _ = try compressor.compress(ByteBuffer(bytes: random), appendingTo: &untouched)
        #expect(try !compressor.compress(ByteBuffer(bytes: [1, 2, 3]), appendingTo: &untouched))
        #expect(Array(untouched.readableBytesView.prefix(3)) == [1, 2, 3])
    }

    @Test func skipsInputBelowTheThresholdAndInputThatDoesNotShrink() throws {
        let compressor = try MessageCompressor(configuration: DeflateConfiguration(minimumInputSize: 64))
        #expect(try compressor.compress(Array(repeating: 0x61, count: 63)) == nil)
        #expect(try compressor.compress(Array(repeating: 0x61, count: 64)) != nil)
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(try compressor.compress(noise) == nil)
    }

    @Test func boundedInflateRejectsABombWithoutWritingPastTheLimit() throws {
        // 10 MB of zeros compress to about 10 KB.
        let compressor = try MessageCompressor()
        let bomb = try #require(try compressor.compress([UInt8](repeating: 0, count: 10_000_000)))
        #expect(bomb.count < 20_000)
        let decompressor = try MessageDecompressor()
        #expect(throws: CompressionError.outputTooLarge(limit: 65_536)) {
            try decompressor.decompress(bomb, maxOutput: 65_536)
        }
        // Into a caller's buffer: exactly the limit, nothing allocated.
        var target = [UInt8](repeating: 0xEE, count: 65_536 + 16)
        #expect(throws: CompressionError.outputTooLarge(limit: 65_536)) {
            try bomb.withUnsafeBytes { source in
                try target.withUnsafeMutableBytes { try decompressor.decompress(source, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<65_536])) }
            }
        }
        #expect(target[65_536...].allSatisfy { $0 == 0xEE })
        // The ByteBuffer path leaves the buffer as it was.
        var buffer = ByteBuffer(bytes: [9])
        #expect(throws: CompressionError.outputTooLarge(limit: 65_536)) {
            try decompressor.decompress(ByteBuffer(bytes: bomb), maxOutput: 65_536, appendingTo: &buffer)
        }
        #expect(Array(buffer.readableBytesView) == [9])
        // Exactly at the limit is fine.
        let exact = try #require(try compressor.compress([UInt8](repeating: 0, count: 65_536)))
        #expect(try decompressor.decompress(exact, maxOutput: 65_536).count == 65_536)
    }

    @Test func corruptTruncatedAndTrailingInputAreTypedErrors() throws {
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        let input = Array(String(repeating: "courier compression ", count: 10).utf8)
        let compressed = try #require(try compressor.compress(input))

        // Block type 3 is reserved.
        #expect(throws: CompressionError.corrupt("invalid block type")) { try decompressor.decompress([0xFF, 0xFF, 0xFF], maxOutput: 100) }
        #expect(throws: CompressionError.corrupt("truncated deflate stream")) {
            try decompressor.decompress(Array(compressed.dropLast(3)), maxOutput: 1_000)
        }
        #expect(throws: CompressionError.corrupt("3 bytes after the end of the deflate stream")) {
            try decompressor.decompress(compressed + [1, 2, 3], maxOutput: 1_000)
        }
        #expect(throws: CompressionError.corrupt("empty input")) { try decompressor.decompress([], maxOutput: 100) }
        // The stream recovers: the next good message decodes.
        #expect(try decompressor.decompress(compressed, maxOutput: 1_000) == input)
    }

    @Test func dataThatNeedsADictionaryFailsWithDictionaryMismatchWithoutIt() throws {
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        let compressed = try #require(try compressor.compress(Self.sample, dictionary: Self.dictionary))
        #expect(throws: CompressionError.dictionaryMismatch) { try decompressor.decompress(compressed, maxOutput: 1_000) }
        let short = try CompressionDictionary(id: 7, version: 2, bytes: [0x7B])
        #expect(throws: CompressionError.dictionaryMismatch) { try decompressor.decompress(compressed, dictionary: short, maxOutput: 1_000) }
    }

    @Test func invalidConfigurationIsRejected() {
        #expect(throws: CompressionError.self) { try MessageCompressor(configuration: DeflateConfiguration(windowBits: 8)) }
        #expect(throws: CompressionError.self) { try MessageCompressor(configuration: DeflateConfiguration(level: 10)) }
        #expect(throws: CompressionError.self) { try MessageDecompressor(windowBits: 16) }
    }

    @Test func stateSizesFollowZlibsFormula() {
        // Per message (memLevel 4): 2^17 + 2^13; zlib's defaults (memLevel 8): 2^17 + 2^17.
        #expect(DeflateConfiguration().deflateStateBytes == 131_072 + 8_192)
        #expect(DeflateConfiguration(memLevel: 8).deflateStateBytes == 262_144)
        #expect(DeflateConfiguration().inflateStateBytes == 32_768 + 7_168)
    }
}
