/// The integers and checksum of the Fossil delta format
/// (https://fossil-scm.org/home/doc/tip/www/delta_format.wiki), as fossil's `delta.c`
/// writes them.
enum FossilEncoding {
    /// Fossil's base-64 digits (not RFC 4648's): value i is `digits[i]`.
    static let digits: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~".utf8)

    /// The value of each ASCII byte as a digit, or -1.
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, digit) in digits.enumerated() { table[Int(digit)] = Int8(value) }
        return table
    }()

    /// Appends `value` in base 64, most significant digit first ("0" for zero).
    static func appendInteger(_ value: UInt32, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &scratch) { buffer in
            while v > 0 {
                buffer[count] = digits[Int(v & 0x3F)]
                count += 1
                v >>= 6
            }
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    /// Digits `appendInteger` writes for `value`.
    static func digitCount(_ value: Int) -> Int {
        var count = 1
        var limit = 64
        while value >= limit && count < 6 {
            count += 1
            limit <<= 6
        }
        return count
    }

    /// Fossil's 32-bit checksum: the sum, modulo 2^32, of the input read as big-endian
    /// 32-bit words, the last word padded with zero bytes.
    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var sum: UInt32 = 0
        var index = 0
        let count = bytes.count
        while index + 4 <= count {
            sum &+= UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            index += 4
        }
        var shift: UInt32 = 24
        while index < count {
            sum &+= UInt32(bytes[index]) << shift
            shift -= 8
            index += 1
        }
        return sum
    }
}
