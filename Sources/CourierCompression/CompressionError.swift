/// Why compressing or decompressing a payload failed. Every malformed input from a peer
/// is one of these; nothing in this module traps on peer bytes.
///
/// A struct around a private enum so that cases can be added without breaking users
/// (`docs/STYLE.md` §9). Compare with the static members:
/// `#expect(throws: CompressionError.outputTooLarge(limit: 65_536))`.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, for callers that map errors to close codes.
    public enum Category: Hashable, Sendable {
        /// The output would exceed the caller's limit (decompression-bomb defence).
        case outputTooLarge
        /// The input is not a valid deflate stream (or it is truncated or followed by extra bytes).
        case corrupt
        /// The data refers to dictionary bytes that were not given (no dictionary or a shorter one).
        case dictionaryMismatch
        /// A local configuration mistake (window bits, level, dictionary too large).
        case invalidConfiguration
        /// zlib could not allocate its state or reported an unexpected status.
        case zlibFailure
    }

    private enum Base: Hashable, Sendable {
        case outputTooLarge(limit: Int)
        case corrupt(String)
        case dictionaryMismatch
        case invalidConfiguration(String)
        case zlibFailure(String, code: Int32)
    }

    private let base: Base

    private init(_ base: Base) { self.base = base }

    /// Inflating would produce more than `limit` bytes; nothing past the limit was written.
    public static func outputTooLarge(limit: Int) -> CompressionError { CompressionError(.outputTooLarge(limit: limit)) }
    /// The compressed bytes are not a valid deflate stream.
    public static func corrupt(_ reason: String) -> CompressionError { CompressionError(.corrupt(reason)) }
    /// The stream needs a (longer) preset dictionary than the one given.
    public static let dictionaryMismatch = CompressionError(.dictionaryMismatch)
    /// A configuration value out of range (a local mistake, not a peer's).
    public static func invalidConfiguration(_ reason: String) -> CompressionError { CompressionError(.invalidConfiguration(reason)) }
    /// zlib failed (out of memory, or a status this code does not expect).
    public static func zlibFailure(_ operation: String, code: Int32) -> CompressionError { CompressionError(.zlibFailure(operation, code: code)) }

    public var category: Category {
        switch base {
        case .outputTooLarge: return .outputTooLarge
        case .corrupt: return .corrupt
        case .dictionaryMismatch: return .dictionaryMismatch
        case .invalidConfiguration: return .invalidConfiguration
        case .zlibFailure: return .zlibFailure
        }
    }

    public var description: String {
        switch base {
        case .outputTooLarge(let limit): return "decompressed output exceeds the limit of \(limit) bytes"
        case .corrupt(let reason): return "corrupt compressed data: \(reason)"
        case .dictionaryMismatch: return "compressed data needs a preset dictionary that was not given (or a longer one)"
        case .invalidConfiguration(let reason): return "invalid compression configuration: \(reason)"
        case .zlibFailure(let operation, let code): return "zlib \(operation) failed with status \(code)"
        }
    }
}
