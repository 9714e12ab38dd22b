import CourierCompression
import CourierDatasets
import Testing

@Suite("Streaming deflate with context takeover (the RFC 7692 baseline)")
struct StreamingDeflateTests {
    @Test func aStreamOfMessagesRoundTripsInOrderAndGetsSmallerAsTheWindowFills() throws {
        let compressor = try StreamingCompressor()
        let decompressor = try StreamingDecompressor()
        let messages = DatasetKind.ticker.generate(count: 300)
        var sizes: [Int] = []
        for message in messages {
            let compressed = try compressor.compress(message.bytes)
            #expect(compressed.suffix(4) != StreamingCompressor.syncFlushTrailer[...])
            sizes.append(compressed.count)
            #expect(try decompressor.decompress(compressed, maxOutput: 4_096) == message.bytes)
        }
        #expect(sizes.suffix(100).reduce(0, +) < sizes.prefix(100).reduce(0, +))
        #expect(compressor.stateBytesPerConnection == 262_144)
    }

    @Test func boundedLikeThePerMessagePath() throws {
        let compressor = try StreamingCompressor()
        let decompressor = try StreamingDecompressor()
        let compressed = try compressor.compress([UInt8](repeating: 0, count: 1_000_000))
        #expect(throws: CompressionError.outputTooLarge(limit: 10_000)) { try decompressor.decompress(compressed, maxOutput: 10_000) }
    }
}
