/// Why a Fossil delta could not be applied. Every malformed delta from a peer is one of
/// these; `FossilDelta.apply` never traps and never writes past its limit.
public struct FossilDeltaError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case missingSizeTerminator
        case outputTooLarge(declared: Int, limit: Int)
        case copyNotTerminated(at: Int)
        case copyOutOfRange(offset: Int, count: Int, baseSize: Int)
        case outputExceedsDeclaredSize(declared: Int)
        case literalExceedsDelta(count: Int, remaining: Int)
        case unknownOperator(UInt8, at: Int)
        case checksumMismatch(expected: UInt32, actual: UInt32)
        case sizeMismatch(declared: Int, actual: Int)
        case unterminated
        case trailingBytes(Int)
        case integerOverflow(at: Int)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The target size at the start of the delta is not followed by a newline.
    public static let missingSizeTerminator = Self(.missingSizeTerminator)
    /// The delta declares a target larger than the caller's limit (checked before any output).
    public static func outputTooLarge(declared: Int, limit: Int) -> Self { Self(.outputTooLarge(declared: declared, limit: limit)) }
    /// A copy command `cnt@off` is not followed by `,`.
    public static func copyNotTerminated(at offset: Int) -> Self { Self(.copyNotTerminated(at: offset)) }
    /// A copy command reads outside the base.
    public static func copyOutOfRange(offset: Int, count: Int, baseSize: Int) -> Self { Self(.copyOutOfRange(offset: offset, count: count, baseSize: baseSize)) }
    /// The commands produce more bytes than the declared target size.
    public static func outputExceedsDeclaredSize(declared: Int) -> Self { Self(.outputExceedsDeclaredSize(declared: declared)) }
    /// A literal `cnt:` claims more bytes than the delta has left.
    public static func literalExceedsDelta(count: Int, remaining: Int) -> Self { Self(.literalExceedsDelta(count: count, remaining: remaining)) }
    /// A byte that is not `@`, `:` or `;` after an integer.
    public static func unknownOperator(_ byte: UInt8, at offset: Int) -> Self { Self(.unknownOperator(byte, at: offset)) }
    /// The checksum at the end differs from the checksum of the output.
    public static func checksumMismatch(expected: UInt32, actual: UInt32) -> Self { Self(.checksumMismatch(expected: expected, actual: actual)) }
    /// The output is shorter than the declared target size.
    public static func sizeMismatch(declared: Int, actual: Int) -> Self { Self(.sizeMismatch(declared: declared, actual: actual)) }
    /// The delta ends without its `checksum;` term.
    public static let unterminated = Self(.unterminated)
    /// Bytes follow the final `checksum;` term.
    public static func trailingBytes(_ count: Int) -> Self { Self(.trailingBytes(count)) }
    /// An integer does not fit 32 bits.
    public static func integerOverflow(at offset: Int) -> Self { Self(.integerOverflow(at: offset)) }

    public var description: String {
        switch base {
        case .missingSizeTerminator: return "delta: target size not terminated by a newline"
        case .outputTooLarge(let declared, let limit): return "delta: target of \(declared) bytes exceeds the limit of \(limit)"
        case .copyNotTerminated(let at): return "delta: copy command at byte \(at) not terminated by ','"
        case .copyOutOfRange(let offset, let count, let baseSize): return "delta: copy of \(count) bytes at \(offset) extends past the base of \(baseSize) bytes"
        case .outputExceedsDeclaredSize(let declared): return "delta: commands produce more than the declared \(declared) bytes"
        case .literalExceedsDelta(let count, let remaining): return "delta: literal of \(count) bytes but only \(remaining) remain"
        case .unknownOperator(let byte, let at): return "delta: unknown operator 0x\(String(byte, radix: 16)) at byte \(at)"
        case .checksumMismatch(let expected, let actual): return "delta: checksum mismatch (delta says \(expected), output has \(actual))"
        case .sizeMismatch(let declared, let actual): return "delta: output has \(actual) bytes, declared \(declared)"
        case .unterminated: return "delta: no final checksum term"
        case .trailingBytes(let count): return "delta: \(count) bytes after the final checksum term"
        case .integerOverflow(let at): return "delta: integer at byte \(at) does not fit 32 bits"
        }
    }
}
