import CourierWire
import NIOCore
import Testing

@Suite("Varints and UTF-8")
struct PrimitiveTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64(1) << 63, .max])
    func varintRoundTrips(value: UInt64) {
        var buffer = ByteBuffer()
        let written = buffer.writeVarInt(value)
        #expect(written == VarInt.encodedLength(value))
        #expect(VarInt.read(from: buffer, at: 0) == .value(value, length: written))
        // Every proper prefix is "truncated", never a wrong value.
        for cut in 0..<written {
            #expect(VarInt.read(from: buffer.getSlice(at: 0, length: cut)!, at: 0) == .truncated)
        }
    }

    @Test func varintRejectsNonMinimalAndOverlongForms() {
        #expect(VarInt.read(from: ByteBuffer(bytes: [0x80, 0x00]), at: 0) == .invalid)
        #expect(VarInt.read(from: ByteBuffer(bytes: [0xFF, 0x80, 0x00]), at: 0) == .invalid)
        #expect(VarInt.read(from: ByteBuffer(bytes: Array(repeating: 0xFF, count: 9) + [0x02]), at: 0) == .invalid, "above 2^64-1")
        #expect(VarInt.read(from: ByteBuffer(bytes: Array(repeating: 0x80, count: 10) + [0x01]), at: 0) == .invalid, "11 bytes")
    }

    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        // Deterministic pseudo-random byte strings biased towards multi-byte sequences.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let r = UInt8(truncatingIfNeeded: state)
            return r % 4 == 0 ? r & 0x7F : r | 0x80
        }
        for length in 0..<40 {
            for _ in 0..<200 {
                let bytes = (0..<length).map { _ in next() }
                let mine = bytes.withUnsafeBytes { UTF8Validation.firstInvalidIndex($0) }
                let standard = String(validating: bytes, as: UTF8.self)
                #expect((mine == nil) == (standard != nil), "\(bytes)")
            }
        }
    }

    @Test func utf8ValidationPointsAtTheFirstBadSequence() {
        func first(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { UTF8Validation.firstInvalidIndex($0) } }
        #expect(first(Array("héllo 🌍".utf8)) == nil)
        #expect(first([0x61, 0xC0, 0x80]) == 1, "overlong")
        #expect(first([0x61, 0x62, 0xED, 0xA0, 0x80]) == 2, "surrogate")
        #expect(first([0xF4, 0x90, 0x80, 0x80]) == 0, "above U+10FFFF")
        #expect(first([0x61, 0xE2, 0x82]) == 1, "truncated at the end")
        #expect(first(Array(repeating: 0x61, count: 19) + [0xFF]) == 19, "after the ASCII fast path")
    }
}
