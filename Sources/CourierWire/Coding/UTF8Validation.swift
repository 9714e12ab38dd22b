import NIOCore

/// UTF-8 validation without allocation (RFC 3629: no overlong forms, no surrogates,
/// nothing above U+10FFFF).
public enum UTF8Validation {
    /// The index of the first byte of the first ill-formed sequence, or nil when all
    /// of `bytes` is valid UTF-8.
    public static func firstInvalidIndex(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            // Fast path: eight ASCII bytes at a time.
            while i + 8 <= n && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < n else { break }
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + 1 < n, bytes[i + 1] >= lower, bytes[i + 1] <= upper else { return i }
            for k in 2..<length {
                guard i + k < n, bytes[i + k] & 0xC0 == 0x80 else { return i }
            }
            i += length
        }
        return nil
    }

    /// The index (relative to the readable bytes) of the first ill-formed sequence in
    /// `buffer`'s readable bytes, or nil.
    public static func firstInvalidIndex(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { firstInvalidIndex($0) }
    }
}
