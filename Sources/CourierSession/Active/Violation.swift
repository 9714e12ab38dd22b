import CourierWire

/// A reason to end the connection: the Error to send first (if any) and the Close.
public struct Violation: Error, Hashable, Sendable {
    public var error: ErrorMessage?
    public var close: Close

    public init(error: ErrorMessage?, close: Close) {
        self.error = error
        self.close = close
    }

    public static func unexpected(_ what: String) -> Violation {
        Violation(
            error: ErrorMessage(code: .unexpectedMessage, message: what),
            close: Close(code: .unexpectedMessage, reason: String(what.utf8.prefix(FieldLimits.closeReason)) ?? "unexpected message")
        )
    }

    /// A message that failed to decode: Error 100 + Close 4000, naming the error.
    public static func malformed(_ error: WireError) -> Violation {
        let text = "\(error.code) at byte \(error.offset): \(error.message)"
        return Violation(
            error: ErrorMessage(code: .malformedMessage, message: truncate(text, FieldLimits.errorMessage)),
            close: Close(code: .malformedMessage, reason: truncate("\(error.code) at byte \(error.offset)", FieldLimits.closeReason))
        )
    }

    /// Cuts `text` to at most `limit` UTF-8 bytes on a character boundary.
    public static func truncate(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        for character in text {
            if result.utf8.count + character.utf8.count > limit { break }
            result.append(character)
        }
        return result
    }
}
