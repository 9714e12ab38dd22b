import NIOCore

/// Unsigned LEB128 varints, minimal encoding only (`docs/PROTOCOL.md` §2).
public enum VarInt {
    /// Bytes needed to encode `value`.
    @inlinable
    public static func encodedLength(_ value: UInt64) -> Int {
        let bits = 64 - value.leadingZeroBitCount
        return bits == 0 ? 1 : (bits + 6) / 7
    }

    public enum ReadResult: Equatable {
        case value(UInt64, length: Int)
        /// The input ended inside the varint.
        case truncated
        /// Non-minimal, longer than 10 bytes, or above 2^64-1.
        case invalid
    }

    /// Reads the varint at `index` without moving the reader index.
    @inlinable
    public static func read(from buffer: ByteBuffer, at index: Int) -> ReadResult {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var position = index
        let end = buffer.writerIndex
        while true {
            guard position < end, let byte = buffer.getInteger(at: position, as: UInt8.self) else { return .truncated }
            position += 1
            let group = UInt64(byte & 0x7F)
            if shift == 63 && group > 1 { return .invalid }
            result |= group << shift
            if byte & 0x80 == 0 {
                let length = position - index
                if length > 1 && byte == 0 { return .invalid }
                return .value(result, length: length)
            }
            shift += 7
            if shift > 63 { return .invalid }
        }
    }
}

extension ByteBuffer {
    /// Writes `value` as a minimal unsigned LEB128 varint; returns the bytes written.
    @inlinable
    @discardableResult
    public mutating func writeVarInt(_ value: UInt64) -> Int {
        var remaining = value
        var written = 0
        while remaining >= 0x80 {
            written += writeInteger(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        written += writeInteger(UInt8(remaining))
        return written
    }

    /// Writes a varint at `index` without moving the writer index.
    @inlinable
    @discardableResult
    public mutating func setVarInt(_ value: UInt64, at index: Int) -> Int {
        var remaining = value
        var position = index
        while remaining >= 0x80 {
            position += setInteger(UInt8(truncatingIfNeeded: remaining) | 0x80, at: position)
            remaining >>= 7
        }
        position += setInteger(UInt8(remaining), at: position)
        return position - index
    }
}
