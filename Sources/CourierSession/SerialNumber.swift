/// Serial-number arithmetic on 32-bit sequences (RFC 1982, `SERIAL_BITS = 32`), as
/// `docs/PROTOCOL.md` §2 requires for comparing sequences across wrap-around.
/// Sequence 0 is never used by a reliable message; after 2^32 − 1 comes 1.
public struct SerialNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { self.rawValue = value }

    /// The next sequence (skipping 0).
    public var next: SerialNumber { SerialNumber(rawValue == .max ? 1 : rawValue &+ 1) }

    /// True when `self` comes after `other`: `(self − other) mod 2^32` is in `1 ..< 2^31`.
    public func isAfter(_ other: SerialNumber) -> Bool {
        let difference = rawValue &- other.rawValue
        return difference != 0 && difference < 0x8000_0000
    }

    /// How many sequences from `other` to `self` (skipping 0 when wrapping), when `self`
    /// is after `other`; 0 otherwise.
    public func distance(from other: SerialNumber) -> UInt32 {
        guard isAfter(other) else { return 0 }
        let raw = rawValue &- other.rawValue
        // Crossing the wrap skips the unused sequence 0.
        return rawValue < other.rawValue ? raw - 1 : raw
    }

    public var description: String { String(rawValue) }
}
