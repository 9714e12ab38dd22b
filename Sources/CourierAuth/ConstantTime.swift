/// Comparisons whose running time does not depend on where two byte strings differ.
///
/// Used for every comparison of a MAC or tag with attacker-supplied bytes, so that
/// timing does not reveal how many leading bytes of a forgery were right.
enum ConstantTime {
    /// True when `lhs` and `rhs` hold the same bytes.
    ///
    /// The lengths are not secret (MACs and tags have fixed, public sizes), so a length
    /// mismatch returns early; equal-length inputs are always compared in full.
    static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) {
            difference |= a ^ b
        }
        return difference == 0
    }
}
