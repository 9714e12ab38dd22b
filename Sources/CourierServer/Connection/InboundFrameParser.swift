import NIOCore
import NIOWebSocket  // WebSocketOpcode

/// The client's WebSocket frames (RFC 6455 §5.2), parsed straight from the socket's
/// bytes by the connection handler.
///
/// Why not NIO's `WebSocketFrameDecoder`: behind a `ByteToMessageHandler` it costs a
/// handler hop, a `WebSocketFrame` storage object and a dynamic cast out of `NIOAny`
/// per frame, about a twentieth of a 64-byte round trip (docs/BENCHMARKS.md). This
/// parser reads a frame header in place and hands out the payload unmasked, in a buffer
/// of its own (one copy, as NIO's `unmaskedData`).
///
/// A frame that breaks the RFC fails the connection (`Failure`): reserved bits set (no
/// extension is negotiated), an unknown opcode, a fragmented or over-125-byte control
/// frame, an unmasked frame (§5.1: a server MUST close), a 64-bit length with its top
/// bit set, and a frame longer than `maxFrameBytes` (checked on the header, before any
/// payload is buffered).
struct InboundFrameParser {
    struct Frame {
        var fin: Bool
        var opcode: WebSocketOpcode
        /// Unmasked.
        var payload: ByteBuffer
    }

    enum Failure: Error, Equatable {
        /// Close with 1002.
        case protocolError(String)
        /// Close with 1009.
        case tooBig(String)

        var closeCode: UInt16 {
            switch self {
            case .protocolError: 1002
            case .tooBig: 1009
            }
        }

        var reason: String {
            switch self {
            case .protocolError(let reason), .tooBig(let reason): reason
            }
        }
    }

    let maxFrameBytes: Int
    /// For unmasked payloads (a stored property: a `static let` costs a `swift_once`
    /// check per frame).
    private let allocator = ByteBufferAllocator()
    /// Bytes of a frame not complete yet (nil when none are waiting).
    private var pending: ByteBuffer?

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes waiting for the rest of their frame.
    var bufferedBytes: Int { pending?.readableBytes ?? 0 }
    /// Memory those bytes hold (bounded by about one frame and one read).
    var bufferedCapacity: Int { pending?.capacity ?? 0 }

    /// Adds bytes read from the socket.
    mutating func append(_ bytes: ByteBuffer) {
        if pending == nil {
            pending = bytes  // the common case: no copy
        } else {
            // Only the start of one frame waits here: moving it to the front keeps the
            // buffer from growing with every frame parsed out of it.
            pending!.discardReadBytes()
            pending!.writeImmutableBuffer(bytes)
        }
    }

    /// The next whole frame, or nil when more bytes are needed. After a failure the
    /// parser must not be used again.
    mutating func next() throws(Failure) -> Frame? {
        guard var buffer = pending else { return nil }
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self), let second = buffer.getInteger(at: start + 1, as: UInt8.self) else {
            return nil
        }
        guard first & 0x70 == 0 else { throw .protocolError("reserved bits set: no extension was negotiated") }
        let code = first & 0x0F
        let opcode: WebSocketOpcode
        switch code {
        case 0x0: opcode = .continuation
        case 0x1: opcode = .text
        case 0x2: opcode = .binary
        case 0x8: opcode = .connectionClose
        case 0x9: opcode = .ping
        case 0xA: opcode = .pong
        default: throw .protocolError("unknown opcode 0x\(String(code, radix: 16))")
        }
        let fin = first & 0x80 != 0
        let isControl = code & 0x8 != 0
        guard second & 0x80 != 0 else { throw .protocolError("client frames must be masked") }
        var length = UInt64(second & 0x7F)
        var headerBytes = 2
        if isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard length <= 125 else { throw .protocolError("control frame longer than 125 bytes") }
        }
        if length == 126 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = UInt64(extended)
            headerBytes = 4
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            guard extended & (1 << 63) == 0 else { throw .protocolError("64-bit frame length with its top bit set") }
            length = extended
            headerBytes = 10
        }
        guard length <= UInt64(maxFrameBytes) else {
            throw .tooBig("frame of \(length) bytes over the limit of \(maxFrameBytes)")
        }
        let payloadLength = Int(length)
        guard buffer.readableBytes >= headerBytes + 4 + payloadLength, let key = buffer.getInteger(at: start + headerBytes, as: UInt32.self) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: headerBytes + 4)
        let payload = Self.unmasked(buffer, length: payloadLength, key: key, allocator: allocator)
        buffer.moveReaderIndex(forwardBy: payloadLength)
        pending = buffer.readableBytes > 0 ? buffer : nil
        return Frame(fin: fin, opcode: opcode, payload: payload)
    }

    /// The `length` bytes at `masked`'s reader index, unmasked (§5.3: byte i XOR key
    /// byte i mod 4), in storage of their own: one allocation, as NIO's `unmaskedData`,
    /// eight bytes at a time.
    static func unmasked(_ masked: ByteBuffer, length: Int, key: UInt32, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard length > 0 else { return ByteBuffer() }
        var payload = allocator.buffer(capacity: length)
        // The key's bytes in wire order, twice, as one word in memory order.
        let (k0, k1, k2, k3) = (UInt8(key >> 24), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key))
        let key64 = withUnsafeBytes(of: (k0, k1, k2, k3, k0, k1, k2, k3)) { $0.loadUnaligned(as: UInt64.self) }
        masked.withUnsafeReadableBytes { source in
            _ = payload.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { destination in
                var index = 0
                while index + 8 <= length {
                    let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ key64
                    destination.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                while index < length {
                    let keyByte = UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(index & 3)))
                    destination[index] = source[index] ^ keyByte
                    index += 1
                }
                return length
            }
        }
        return payload
    }
}
