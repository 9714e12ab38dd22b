/// Fossil's rolling hash over a 16-byte window: `a` is the sum of the bytes, `b` the sum
/// weighted 16, 15, ..., 1, both modulo 2^16; the hash is `a | b << 16`.
struct RollingHash {
    private var a: UInt16 = 0
    private var b: UInt16 = 0
    private var index = 0
    private var window: (UInt64, UInt64) = (0, 0)

    /// The hash of the 16 bytes at `start`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) {
        a = UInt16(bytes[start])
        b = a
        for offset in 1..<FossilDelta.hashWindow {
            a &+= UInt16(bytes[start + offset])
            b &+= a
        }
        withUnsafeMutableBytes(of: &window) { w in
            for offset in 0..<FossilDelta.hashWindow { w[offset] = bytes[start + offset] }
        }
    }

    /// The hash of the 16 bytes at `start`, without making a rolling state.
    static func once(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt32 {
        var a = UInt16(bytes[start])
        var b = a
        for offset in 1..<FossilDelta.hashWindow {
            a &+= UInt16(bytes[start + offset])
            b &+= a
        }
        return UInt32(a) | UInt32(b) << 16
    }

    var value: UInt32 { UInt32(a) | UInt32(b) << 16 }

    /// Slides the window one byte: drops its first byte, appends `byte`.
    mutating func next(_ byte: UInt8) {
        let index = self.index
        let old = withUnsafeMutableBytes(of: &window) { w -> UInt16 in
            let old = UInt16(w[index])
            w[index] = byte
            return old
        }
        self.index = (index + 1) & (FossilDelta.hashWindow - 1)
        a = a &- old &+ UInt16(byte)
        b = b &- UInt16(FossilDelta.hashWindow) &* old &+ a
    }
}
