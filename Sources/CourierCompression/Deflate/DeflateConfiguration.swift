/// Parameters of a deflate compressor: zlib's level, window and hash-table sizes, and
/// the smallest input worth compressing.
///
/// Memory (zlib's own formula, `zlib.h` and `zconf.h`):
/// deflate `(1 << (windowBits + 2)) + (1 << (memLevel + 9))` bytes,
/// inflate `(1 << windowBits)` bytes plus about 7 KiB of state.
public struct DeflateConfiguration: Hashable, Sendable {
    /// zlib compression level, 0 (store) ... 9 (best). Small messages compress in
    /// microseconds at any level, so the default is 9.
    public var level: Int
    /// Base-two logarithm of the window, 9 ... 15. A preset dictionary only helps up to
    /// the window size, so 15 (32 KiB) suits dictionaries up to 32 KiB.
    public var windowBits: Int
    /// Size of deflate's hash table, 1 ... 9. `deflateReset` clears the table for every
    /// message, so per-message compression wants it small: 4 (8 KiB of table) gave the same
    /// bytes as zlib's default 8 (64 KiB) on every dataset and saved 1.2 to 1.8 µs per
    /// message (`courier bench compression --sweep --mem-level M`). Context-takeover
    /// streams (`StreamingCompressor`) use 8, like browsers.
    public var memLevel: Int
    /// Inputs shorter than this are not compressed (`compress` returns nil). Measured by
    /// `courier bench compression` ("short inputs"): with a trained dictionary even the
    /// first 16 bytes of a ticker message shrink to about 5, while without one nothing
    /// under 32 bytes shrinks at all (and `compress` returns nil for it anyway, because
    /// the output is not smaller). Below 16 bytes the few bytes saved are smaller than the
    /// message's own header, so the default is 16.
    public var minimumInputSize: Int

    public init(level: Int = 9, windowBits: Int = 15, memLevel: Int = 4, minimumInputSize: Int = 16) {
        self.level = level
        self.windowBits = windowBits
        self.memLevel = memLevel
        self.minimumInputSize = minimumInputSize
    }

    /// Bytes zlib allocates for one deflate stream with these parameters.
    public var deflateStateBytes: Int { (1 << (windowBits + 2)) + (1 << (memLevel + 9)) }

    /// Bytes zlib allocates for one inflate stream with this window (window plus ~7 KiB of state).
    public var inflateStateBytes: Int { (1 << windowBits) + 7 * 1_024 }

    /// Throws `CompressionError.invalidConfiguration` when a value is out of zlib's range.
    public func validate() throws {
        guard (0...9).contains(level) else { throw CompressionError.invalidConfiguration("level \(level) is not in 0...9") }
        // Raw deflate does not accept 8 (zlib silently turns it into 9), so the range starts at 9.
        guard (9...15).contains(windowBits) else { throw CompressionError.invalidConfiguration("windowBits \(windowBits) is not in 9...15") }
        guard (1...9).contains(memLevel) else { throw CompressionError.invalidConfiguration("memLevel \(memLevel) is not in 1...9") }
        guard minimumInputSize >= 0 else { throw CompressionError.invalidConfiguration("minimumInputSize \(minimumInputSize) is negative") }
    }
}
