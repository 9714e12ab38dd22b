@testable import CourierServer
import NIOCore
import Testing

/// `OutboundFrame` writes its WebSocket header into the buffer it was built in and reuses
/// the loop's spare buffer, without copying either, when it is their only owner (a
/// second reference makes NIO copy the whole buffer on the first write: two allocations
/// and a copy per frame, which `courier bench rtt --count-allocations` showed).
@Suite("Outbound frames")
struct OutboundFrameTests {
    static func storage(_ buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    @Test func aSpareBufferOwnedOnlyByTheFrameIsReusedInPlace() {
        var spare = ByteBufferAllocator().buffer(capacity: 512)
        spare.writeBytes([1, 2, 3])
        let address = Self.storage(spare)
        let frame = OutboundFrame(allocator: ByteBufferAllocator(), reusing: consume spare)
        #expect(Self.storage(frame.inline) == address)
        #expect(frame.length == 0)
    }

    @Test func aSpareBufferStillReferencedElsewhereIsNotReused() {
        var spare = ByteBufferAllocator().buffer(capacity: 512)
        spare.writeBytes([1, 2, 3])
        let frame = OutboundFrame(allocator: ByteBufferAllocator(), reusing: spare)
        #expect(Self.storage(frame.inline) != Self.storage(spare))
        #expect(spare.readableBytes == 3, "the other owner's bytes are untouched")
    }

    @Test func theHeaderGoesIntoTheHeadroomOfTheFramesOwnBuffer() {
        var frame = OutboundFrame(allocator: ByteBufferAllocator())
        frame.inline.writeBytes(Array(repeating: 0x61, count: 100))
        let address = Self.storage(frame.inline)
        var pieces: [ByteBuffer] = []
        frame.pieces { pieces.append($0) }
        #expect(pieces.count == 1)
        // The piece is a slice of the same storage, from the 2-byte header in the headroom.
        #expect(Self.storage(pieces[0]) == address + UInt(OutboundFrame.headroom - 2), "framing copied the buffer")
        #expect(Array(pieces[0].readableBytesView.prefix(3)) == [0x82, 100, 0x61])
    }
}
