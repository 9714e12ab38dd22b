/// Creating secrets and reading them from text (command-line flags, environment
/// variables, files).
extension DevelopmentToken {
    /// How ``readSecret(_:)`` interprets text.
    public enum SecretEncoding: String, Hashable, Sendable, CaseIterable {
        /// Hexadecimal digits, either case, an even number of them.
        case hex
        /// Base64 in the standard (`+/`) or URL (`-_`) alphabet, padding optional.
        case base64
        /// The text's own UTF-8 bytes.
        case utf8
    }

    /// 32 bytes from the system's cryptographically secure generator
    /// (`SystemRandomNumberGenerator`).
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<AuthConfiguration.minimumSecretLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `secret` as lowercase hex: what ``generateSecret()`` output should be stored as.
    public static func hexString(_ secret: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(secret.count * 2)
        for byte in secret {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads a secret from text, after trimming surrounding whitespace and newlines.
    ///
    /// The encoding is chosen as follows:
    /// 1. An explicit prefix `hex:`, `base64:` or `utf8:` selects that encoding.
    /// 2. Otherwise, text made only of hex digits (even length) is **hex**.
    /// 3. Otherwise, text that is valid base64 (see ``SecretEncoding/base64``) and
    ///    decodes to at least ``AuthConfiguration/minimumSecretLength`` bytes is **base64**.
    /// 4. Otherwise the text's **UTF-8** bytes are the secret.
    ///
    /// So `"00112233…"` (64 hex digits) is 32 bytes, not 64. Use a prefix when the
    /// automatic choice would be ambiguous, e.g. `utf8:` for a passphrase that happens
    /// to be valid base64.
    ///
    /// - Throws: ``AuthConfigurationError`` (kind `.invalidSecretText`) when a prefixed
    ///   value does not decode, or `.secretTooShort` when the secret is shorter than
    ///   ``AuthConfiguration/minimumSecretLength`` bytes. Messages never include the text.
    public static func readSecret(_ text: String) throws(AuthConfigurationError) -> [UInt8] {
        let trimmed = Substring(text).trimmingWhitespace()
        for encoding in SecretEncoding.allCases {
            let prefix = encoding.rawValue + ":"
            if trimmed.hasPrefix(prefix) {
                return try readSecret(String(trimmed.dropFirst(prefix.count)), as: encoding)
            }
        }
        let encoding: SecretEncoding
        if decodeHex(trimmed) != nil {
            encoding = .hex
        } else if let decoded = Base64Text.decode(trimmed, .lenient), decoded.count >= AuthConfiguration.minimumSecretLength {
            encoding = .base64
        } else {
            encoding = .utf8
        }
        return try readSecret(String(trimmed), as: encoding)
    }

    /// Reads a secret in a known encoding (no prefix, no trimming).
    ///
    /// - Throws: ``AuthConfigurationError`` when the text does not decode or the
    ///   secret is shorter than ``AuthConfiguration/minimumSecretLength`` bytes.
    public static func readSecret(_ text: String, as encoding: SecretEncoding) throws(AuthConfigurationError) -> [UInt8] {
        let bytes: [UInt8]?
        switch encoding {
        case .hex: bytes = decodeHex(Substring(text))
        case .base64: bytes = Base64Text.decode(text, .lenient)
        case .utf8: bytes = Array(text.utf8)
        }
        guard let bytes else {
            throw AuthConfigurationError(.invalidSecretText, "the secret is not valid \(encoding.rawValue)")
        }
        guard bytes.count >= AuthConfiguration.minimumSecretLength else {
            throw AuthConfigurationError(
                .secretTooShort,
                "the secret is \(bytes.count) bytes (read as \(encoding.rawValue)), at least \(AuthConfiguration.minimumSecretLength) are required"
            )
        }
        return bytes
    }

    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
