/// Why a JSON field delta could not be applied.
public struct JSONFieldDeltaError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case baseNotAnObject
        case truncated(at: Int)
        case memberCountMismatch(delta: UInt64, base: Int)
        case bitmapPastLastMember
        case notANumber(member: Int)
        case numberOverflow(member: Int)
        case outputTooLarge(limit: Int)
        case trailingBytes(Int)
        case invalidValue
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The base is not a compact JSON object.
    public static let baseNotAnObject = Self(.baseNotAnObject)
    /// The delta ends inside a varint or a value.
    public static func truncated(at offset: Int) -> Self { Self(.truncated(at: offset)) }
    /// The delta is for an object with another number of members.
    public static func memberCountMismatch(delta: UInt64, base: Int) -> Self { Self(.memberCountMismatch(delta: delta, base: base)) }
    /// The bitmap marks members the base does not have.
    public static let bitmapPastLastMember = Self(.bitmapPastLastMember)
    /// A number change for a member whose base value is not a number.
    public static func notANumber(member: Int) -> Self { Self(.notANumber(member: member)) }
    /// A number change past 18 digits or Int64.
    public static func numberOverflow(member: Int) -> Self { Self(.numberOverflow(member: member)) }
    /// The result would be longer than `limit` bytes.
    public static func outputTooLarge(limit: Int) -> Self { Self(.outputTooLarge(limit: limit)) }
    /// Bytes follow the last change.
    public static func trailingBytes(_ count: Int) -> Self { Self(.trailingBytes(count)) }
    /// A new value breaks the object's structure.
    public static let invalidValue = Self(.invalidValue)

    public var description: String {
        switch base {
        case .baseNotAnObject: return "field delta: the base is not a compact JSON object"
        case .truncated(let at): return "field delta: truncated at byte \(at)"
        case .memberCountMismatch(let delta, let base): return "field delta: for \(delta) members, the base has \(base)"
        case .bitmapPastLastMember: return "field delta: bitmap marks members past the last one"
        case .notANumber(let member): return "field delta: member \(member) of the base is not a number"
        case .numberOverflow(let member): return "field delta: member \(member) overflows"
        case .outputTooLarge(let limit): return "field delta: result exceeds the limit of \(limit) bytes"
        case .trailingBytes(let count): return "field delta: \(count) bytes after the last change"
        case .invalidValue: return "field delta: a new value breaks the object's structure"
        }
    }
}
