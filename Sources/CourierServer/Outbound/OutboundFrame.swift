import NIOCore

/// One outgoing WebSocket message being built: the bytes written for it (headers,
/// small payloads) and, between them, large payloads shared with every other
/// recipient of the same publication, which are written by reference (a gather
/// write: the kernel reads them from the one shared buffer, nobody copies them).
struct OutboundFrame {
    /// Room in front of `inline` for the WebSocket frame header (at most 10 bytes for a
    /// server frame; 14 also fits a masked one).
    static let headroom = 14

    var inline: ByteBuffer
    /// Shared payloads and where in `inline` each goes.
    private(set) var cuts: [(offset: Int, payload: ByteBuffer)] = []
    private(set) var sharedBytes = 0

    init(allocator: ByteBufferAllocator) {
        inline = allocator.buffer(capacity: 256)
        inline.moveWriterIndex(forwardBy: Self.headroom)
        inline.moveReaderIndex(forwardBy: Self.headroom)
    }

    /// The WebSocket payload length so far.
    var length: Int { inline.readableBytes + sharedBytes }
    var isShared: Bool { !cuts.isEmpty }

    /// `payload` goes here, after what `inline` holds so far, without being copied.
    mutating func share(_ payload: ByteBuffer) {
        cuts.append((inline.writerIndex, payload))
        sharedBytes += payload.readableBytes
    }

    /// The whole frame as buffers to write in order: a server WebSocket header (FIN,
    /// binary, unmasked) in the headroom with the inline bytes up to the first shared
    /// payload, then each shared payload and the inline bytes after it. No copies: the
    /// pieces are slices of `inline` and the shared payloads themselves.
    mutating func pieces(_ body: (ByteBuffer) -> Void) {
        let length = self.length
        var header: [UInt8] = [0x82]
        if length <= 125 {
            header.append(UInt8(length))
        } else if length <= 0xFFFF {
            header += [126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            header.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8((UInt64(length) >> UInt64(shift)) & 0xFF)) }
        }
        let start = inline.readerIndex - header.count
        inline.setBytes(header, at: start)
        inline.moveReaderIndex(to: start)  // slices must be within the readable bytes
        var position = start
        for cut in cuts {
            body(inline.getSlice(at: position, length: cut.offset - position)!)
            body(cut.payload)
            position = cut.offset
        }
        if inline.writerIndex > position {
            body(inline.getSlice(at: position, length: inline.writerIndex - position)!)
        }
    }
}
