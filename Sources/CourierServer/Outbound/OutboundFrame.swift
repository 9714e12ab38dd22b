import NIOCore
import NIOWebSocket

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

    /// - Parameters:
    ///   - capacity: bytes expected inline (a good guess saves regrowing the buffer).
    ///   - reusing: the buffer of an earlier frame: its storage is used again if the
    ///     socket is done with it (`clear()` allocates afresh only while it is not).
    init(allocator: ByteBufferAllocator, capacity: Int = 256, reusing spare: consuming ByteBuffer? = nil) {
        let wanted = Self.headroom + max(capacity, 64)
        // Moved out of `spare`, not copied: a second reference would make `clear` allocate.
        if var buffer = spare.take() {
            buffer.clear(minimumCapacity: wanted)
            inline = buffer
        } else {
            inline = allocator.buffer(capacity: wanted)
        }
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
        let headerSize = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10
        let start = inline.readerIndex - headerSize
        inline.setInteger(UInt8(0x82), at: start)
        switch headerSize {
        case 2: inline.setInteger(UInt8(length), at: start + 1)
        case 4: inline.setMultipleIntegers(UInt8(126), UInt16(length), at: start + 1)
        default: inline.setMultipleIntegers(UInt8(127), UInt64(length), at: start + 1)
        }
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

    /// A server control frame (FIN, unmasked): a pong or a close. The caller keeps
    /// `payload` within the 125 bytes RFC 6455 §5.5 allows a control frame.
    static func control(opcode: WebSocketOpcode, payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 2 + payload.readableBytes)
        frame.writeMultipleIntegers(UInt8(0x80) | UInt8(webSocketOpcode: opcode), UInt8(min(payload.readableBytes, 125)))
        frame.writeImmutableBuffer(payload.getSlice(at: payload.readerIndex, length: min(payload.readableBytes, 125))!)
        return frame
    }
}
