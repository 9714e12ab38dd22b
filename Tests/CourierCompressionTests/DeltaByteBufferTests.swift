import CourierCompression
import NIOCore
import Testing

@Suite("Delta codecs on ByteBuffer slices")
struct DeltaByteBufferTests {
    @Test func slicesOfAReadBufferWork() throws {
        let base = Array(#"{"id":"th-0042","t":1764547200123,"temp":21.47}"#.utf8)
        let target = Array(#"{"id":"th-0042","t":1764547209123,"temp":21.52}"#.utf8)
        var read = ByteBuffer(bytes: [0xFF, 0xFF] + base + [0xEE])
        read.moveReaderIndex(forwardBy: 2)
        let baseSlice = read.readSlice(length: base.count)!
        let field = try #require(JSONFieldDelta.create(from: baseSlice, to: ByteBuffer(bytes: target)))
        #expect(Array(try JSONFieldDelta.apply(field, to: baseSlice, maxOutput: 100).readableBytesView) == target)
        let fossil = FossilDelta.create(from: baseSlice, to: ByteBuffer(bytes: target))
        #expect(Array(fossil.readableBytesView) == FossilDelta.create(from: base, to: target))
        #expect(Array(try FossilDelta.apply(fossil, to: baseSlice, maxOutput: 100).readableBytesView) == target)
    }
}
