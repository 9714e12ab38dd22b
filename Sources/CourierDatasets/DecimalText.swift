/// Fixed-point numbers as JSON text without Foundation's locale-dependent formatting.
enum DecimalText {
    /// `value / 10^scale` with exactly `scale` fraction digits: (18723, 2) → "187.23".
    static func fixed(_ value: Int, scale: Int) -> String {
        guard scale > 0 else { return String(value) }
        var divisor = 1
        for _ in 0..<scale { divisor *= 10 }
        let sign = value < 0 ? "-" : ""
        let magnitude = value.magnitude
        let whole = magnitude / UInt(divisor)
        let fraction = String(magnitude % UInt(divisor))
        return sign + String(whole) + "." + String(repeating: "0", count: scale - fraction.count) + fraction
    }
}
