import CourierCompression
import NIOCore
import Testing

/// The wire forms of PROTOCOL §20: the handshake extension value, the COMPRESSED
/// payload layout and the DELTA payload's format byte, byte for byte.
@Suite("Compression wire forms (PROTOCOL §20)")
struct WireFormsTests {
    @Test func theExtensionValueHasTheDocumentedLayout() throws {
        let offer = CompressionOffer(deltaFormats: .all, dictionaries: [.init(id: 7, version: 1), .init(id: 0x0102_0304, version: 0xFFFF_FFFF)])
        let bytes = Array(try offer.encoded().readableBytesView)
        #expect(bytes == [0x03, 0x02, 0, 0, 0, 7, 0, 0, 0, 1, 1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try CompressionOffer(decoding: ByteBuffer(bytes: bytes)) == offer)
        // Unknown delta-format bits are ignored.
        #expect(try CompressionOffer(decoding: ByteBuffer(bytes: [0xF2, 0])).deltaFormats == .jsonField)
    }

    @Test(arguments: [
        ([UInt8](), CompressionOfferError.truncated),
        ([0, 1, 0, 0, 0, 7], .truncated),
        ([0, 17], .tooManyDictionaries(17)),
        ([0, 1, 0, 0, 0, 0, 0, 0, 0, 1], .dictionaryIDZero),
        ([0, 0, 9], .trailingBytes(1)),
    ])
    func aMalformedExtensionValueIsRefused(bytes: [UInt8], error: CompressionOfferError) {
        #expect(throws: error) { try CompressionOffer(decoding: ByteBuffer(bytes: bytes)) }
    }

    @Test func theAgreementKeepsOnlyDictionariesHeldWithTheSameVersion() throws {
        let held = [try CompressionDictionary(id: 7, version: 1, bytes: [1, 2, 3]), try CompressionDictionary(id: 9, version: 2, bytes: [4])]
        let offer = CompressionOffer(deltaFormats: [.fossil], dictionaries: [.init(id: 7, version: 1), .init(id: 9, version: 1), .init(id: 11, version: 1)])
        let agreed = offer.agreement(holding: held, formats: .all)
        #expect(agreed.dictionaries == [.init(id: 7, version: 1)])
        #expect(agreed.deltaFormats == .fossil)
        #expect(agreed.covers(dictionaryID: 0) && agreed.covers(dictionaryID: 7) && !agreed.covers(dictionaryID: 9))
    }

    @Test func aCompressedPayloadIsAVarintDictionaryIdThenRawDeflate() throws {
        let dictionary = try CompressionDictionary(id: 300, version: 1, bytes: Array(#"{"symbol":"AAPL","price":"#.utf8))
        let text = String(repeating: #"{"symbol":"AAPL","price":101.25}"#, count: 4)
        let payload = try #require(try CompressedPayload.compress(ByteBuffer(string: text), dictionary: dictionary, with: MessageCompressor()))
        #expect(Array(payload.readableBytesView.prefix(2)) == [0xAC, 0x02])  // varint 300
        #expect(payload.readableBytes < text.utf8.count)
        let (id, _) = try CompressedPayload.split(payload)
        #expect(id == 300)
        let inflated = try CompressedPayload.inflate(payload, maxOutput: 1 << 16, with: MessageDecompressor()) { $0 == 300 ? .some(dictionary) : nil }
        #expect(inflated == ByteBuffer(string: text))
        // A dictionary the caller does not hold (lookup answers nil) is a mismatch, not a guess.
        #expect(throws: CompressionError.dictionaryMismatch) {
            try CompressedPayload.inflate(payload, maxOutput: 1 << 16, with: MessageDecompressor()) { _ in nil }
        }
        // Incompressible or tiny input is not worth it.
        #expect(try CompressedPayload.compress(ByteBuffer(bytes: [1, 2, 3]), dictionary: nil, with: MessageCompressor()) == nil)
        // A truncated or overlong dictionary id is corrupt input.
        #expect(throws: CompressionError.self) { try CompressedPayload.split(ByteBuffer(bytes: [0x80])) }
        #expect(throws: CompressionError.self) { try CompressedPayload.split(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])) }
    }

    @Test func theInflatedSizeIsBoundedBeforeItIsWritten() throws {
        let bomb = try #require(try CompressedPayload.compress(ByteBuffer(repeating: 0, count: 1_000_000), dictionary: nil, with: MessageCompressor()))
        #expect(throws: CompressionError.outputTooLarge(limit: 65_536)) {
            try CompressedPayload.inflate(bomb, maxOutput: 65_536, with: MessageDecompressor()) { _ in .some(nil) }
        }
    }

    @Test func aDeltaPayloadStartsWithItsFormatAndPicksTheSmallerFormat() throws {
        let base = ByteBuffer(string: #"{"symbol":"AAPL","price":101.25,"qty":7}"#)
        let next = ByteBuffer(string: #"{"symbol":"AAPL","price":101.50,"qty":8}"#)
        let json = try #require(DeltaPayload.create(from: base, to: next, formats: .all))
        #expect(DeltaPayload.format(of: json) == .jsonField)
        #expect(try DeltaPayload.apply(json, to: base, maxOutput: 1_024) == next)
        let fossil = try #require(DeltaPayload.create(from: base, to: next, formats: .fossil))
        #expect(fossil.getInteger(at: fossil.readerIndex, as: UInt8.self) == 1)
        #expect(try DeltaPayload.apply(fossil, to: base, maxOutput: 1_024) == next)
        #expect(json.readableBytes < fossil.readableBytes)
        // No delta when it would not be smaller than the value itself.
        #expect(DeltaPayload.create(from: ByteBuffer(string: "abc"), to: ByteBuffer(string: "xyz"), formats: .all) == nil)
        #expect(throws: DeltaPayloadError.unknownFormat(9)) { try DeltaPayload.apply(ByteBuffer(bytes: [9, 0]), to: base, maxOutput: 1_024) }
        #expect(throws: DeltaPayloadError.unknownFormat(nil)) { try DeltaPayload.apply(ByteBuffer(), to: base, maxOutput: 1_024) }
    }
}
