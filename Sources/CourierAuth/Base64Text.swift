/// Strict base64 decoding for JOSE segments (RFC 7515 §2: URL alphabet, no padding)
/// and lenient decoding for secrets typed by people.
enum Base64Text {
    enum Variant {
        /// `A–Z a–z 0–9 - _`, no `=`: the JWS segment encoding. Non-canonical trailing
        /// bits are rejected, so every byte string has exactly one accepted encoding.
        case urlUnpadded
        /// Either alphabet (`+ /` or `- _`, not mixed), with or without `=` padding.
        case lenient
    }

    /// The decoded bytes, or nil when `text` is not valid for `variant`.
    static func decode(_ text: some StringProtocol, _ variant: Variant) -> [UInt8]? {
        var symbols = Array(text.utf8)
        if variant == .lenient {
            // Up to two trailing '=' are allowed, and only to complete a 4-symbol group.
            var padding = 0
            while symbols.last == UInt8(ascii: "="), padding < 2 {
                symbols.removeLast()
                padding += 1
            }
            if padding > 0, (symbols.count + padding) % 4 != 0 { return nil }
            let hasURL = symbols.contains { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
            let hasStandard = symbols.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }
            if hasURL, hasStandard { return nil }
        }
        guard symbols.count % 4 != 1 else { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            guard let value = sextet(symbol, variant) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero (canonical encoding).
        guard accumulator == 0 else { return nil }
        return output
    }

    private static func sextet(_ symbol: UInt8, _ variant: Variant) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        case UInt8(ascii: "+") where variant == .lenient: return 62
        case UInt8(ascii: "/") where variant == .lenient: return 63
        default: return nil
        }
    }
}
