import CZlib
import NIOCore

/// CRC-32 (ISO-HDLC, zlib's `crc32`): the checksum a DeltaUpdate carries of the full
/// value after applying (`docs/PROTOCOL.md` §7.10).
public enum CRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        var crc = UInt(previous)
        var pointer = base.assumingMemoryBound(to: UInt8.self)
        var remaining = bytes.count
        // zlib takes a 32-bit length; feed large inputs in pieces.
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max))
            crc = CZlib.crc32(crc, pointer, uInt(chunk))
            pointer += chunk
            remaining -= chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func checksum(_ buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0) }
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }
}
