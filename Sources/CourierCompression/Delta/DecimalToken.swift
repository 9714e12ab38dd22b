/// A JSON number without exponent, `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, as an integer count of
/// its last fraction digit: "187.23" is 18723 at scale 2. Formatting gives back the same
/// text for every such number except "-0..." (which then travels as text).
struct DecimalToken: Equatable {
    var scaled: Int64
    var scale: Int

    /// At most 18 digits, so that the value fits an Int64.
    init?(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        var position = range.lowerBound
        let negative = position < range.upperBound && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let integerStart = position
        var value: Int64 = 0
        var digits = 0
        var scale = 0
        var seenPoint = false
        while position < range.upperBound {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, position > integerStart else { return nil }
                seenPoint = true
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                digits += 1
                guard digits <= 18 else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                if seenPoint { scale += 1 }
            }
            position += 1
        }
        guard digits > 0, !(seenPoint && scale == 0) else { return nil }
        // No leading zeros ("007", "00.5"): they would not format back the same.
        let integerDigits = digits - scale
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { return nil }
        guard integerDigits >= 1 else { return nil }
        self.scaled = negative ? -value : value
        self.scale = scale
    }

    init(scaled: Int64, scale: Int) {
        self.scaled = scaled
        self.scale = scale
    }

    /// The canonical text: "-1.05", "0.50", "42".
    var text: [UInt8] {
        var digits = Array(String(scaled.magnitude).utf8)
        if scale > 0 {
            if digits.count <= scale { digits.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: scale - digits.count + 1), at: 0) }
            digits.insert(UInt8(ascii: "."), at: digits.count - scale)
        }
        return scaled < 0 ? [UInt8(ascii: "-")] + digits : digits
    }
}
