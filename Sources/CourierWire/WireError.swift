/// A decoding (or encoding) failure: what is wrong and the byte offset where it was
/// found, counted from the start of the WebSocket message (`docs/PROTOCOL.md` §8).
///
/// `code` is a small open set of stable identifiers (the ids used by the test
/// vectors); `message` says exactly what was seen and what was expected.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let truncatedHeader = Code(rawValue: "truncated_header")
        public static let truncatedPayload = Code(rawValue: "truncated_payload")
        public static let badMagic = Code(rawValue: "bad_magic")
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        public static let unknownMessageType = Code(rawValue: "unknown_message_type")
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        public static let lengthMismatch = Code(rawValue: "length_mismatch")
        public static let invalidUTF8 = Code(rawValue: "invalid_utf8")
        public static let trailingBytes = Code(rawValue: "trailing_bytes")
        public static let flagNotAllowed = Code(rawValue: "flag_not_allowed")
        public static let invalidVarint = Code(rawValue: "invalid_varint")
        public static let invalidValue = Code(rawValue: "invalid_value")
        public static let fieldTooLong = Code(rawValue: "field_too_long")
        public static let tooManyMessages = Code(rawValue: "too_many_messages")
        public static let emptyFrame = Code(rawValue: "empty_frame")

        public var description: String { rawValue }
    }

    public let code: Code
    /// Byte offset of the offending field from the start of the WebSocket message
    /// (for an encoding error: from the start of the output).
    public let offset: Int
    /// What was wrong, for people.
    public let message: String

    public init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(code) at byte \(offset): \(message)" }
}
