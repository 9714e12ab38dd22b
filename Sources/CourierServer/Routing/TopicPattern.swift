/// Topic names and subscription patterns (`docs/PROTOCOL.md` §15).
///
/// A topic is one or more non-empty tokens separated by `.` (`prices.eu.AAPL`), at
/// most 256 bytes of UTF-8, without spaces, `*` or `>`. A pattern is a topic whose
/// tokens may also be `*` (exactly one token) or, as the last token only, `>` (one or
/// more tokens): `prices.*.AAPL`, `prices.>`.
public struct TopicPattern: Hashable, Sendable, CustomStringConvertible {
    enum Token: Hashable, Sendable {
        case literal(Substring)
        case one
        case rest
    }

    public let text: String
    let tokens: [Token]

    public var description: String { text }

    /// True when the pattern has no wildcard: it names one topic.
    public var isLiteral: Bool { tokens.allSatisfy { if case .literal = $0 { return true } else { return false } } }

    public enum Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case emptyToken
        case forbiddenCharacter(Character)
        case wildcardInTopic
        case restNotLast
        case partialWildcard(String)

        public var description: String {
            switch self {
            case .empty: return "empty"
            case .tooLong(let n): return "\(n) bytes is over the limit of 256"
            case .emptyToken: return "empty token (leading, trailing or doubled '.')"
            case .forbiddenCharacter(let c): return "character \(c.debugDescription) is not allowed"
            case .wildcardInTopic: return "a topic cannot contain '*' or '>'"
            case .restNotLast: return "'>' may only be the last token"
            case .partialWildcard(let token): return "wildcards must be whole tokens, not '\(token)'"
            }
        }
    }

    public init(_ text: String) throws(Invalid) {
        try Self.checkCommon(text)
        var tokens: [Token] = []
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            switch part {
            case "*": tokens.append(.one)
            case ">":
                guard index == parts.count - 1 else { throw .restNotLast }
                tokens.append(.rest)
            default:
                if part.contains("*") || part.contains(">") { throw .partialWildcard(String(part)) }
                tokens.append(.literal(part))
            }
        }
        self.text = text
        self.tokens = tokens
    }

    /// Validates a concrete topic name (no wildcards).
    public static func validateTopic(_ topic: String) throws(Invalid) {
        try checkCommon(topic)
        if topic.contains("*") || topic.contains(">") { throw .wildcardInTopic }
    }

    static func checkCommon(_ text: String) throws(Invalid) {
        guard !text.isEmpty else { throw .empty }
        let length = text.utf8.count
        guard length <= 256 else { throw .tooLong(length) }
        var previousWasDot = true
        // Scalar by scalar (ASCII decided without a property lookup): this runs for
        // every published message.
        for scalar in text.unicodeScalars {
            if scalar == "." {
                if previousWasDot { throw .emptyToken }
                previousWasDot = true
                continue
            }
            previousWasDot = false
            let value = scalar.value
            let forbidden = value < 0x80
                ? value <= 0x20 || value == 0x7F
                : (value <= 0x9F || scalar.properties.isWhitespace)
            if forbidden { throw .forbiddenCharacter(Character(scalar)) }
        }
        if previousWasDot { throw .emptyToken }
    }

    /// Whether `topic` (a valid concrete topic) matches this pattern. Walks the topic's
    /// UTF-8 bytes token by token; allocates nothing.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { bytes in
            var position = 0
            for token in tokens {
                guard position <= bytes.count else { return false }
                if case .rest = token { return position < bytes.count }
                var end = position
                while end < bytes.count, bytes[end] != UInt8(ascii: ".") { end += 1 }
                if case .literal(let literal) = token {
                    guard literal.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[position..<end])) else { return false }
                }
                position = end + 1  // past the dot (or one past the end after the last token)
            }
            return position == bytes.count + 1
        }
    }

    /// Whether every topic this pattern matches is also matched by `other`
    /// (used to check a subscription against the patterns a user may subscribe to).
    public func isCovered(by other: TopicPattern) -> Bool {
        var i = 0
        for (index, mine) in tokens.enumerated() {
            guard i < other.tokens.count else { return false }
            switch other.tokens[i] {
            case .rest: return true
            case .one:
                if case .rest = mine { return false }
            case .literal(let literal):
                guard case .literal(let m) = mine, m == literal else { return false }
            }
            i += 1
            if index == tokens.count - 1 { return i == other.tokens.count }
        }
        return i == other.tokens.count
    }
}
