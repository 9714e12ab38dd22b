import CourierWire
import NIOCore

extension CourierClient {
    /// Sends a payload that the application sealed itself (end-to-end encrypted, for
    /// example with `EndToEndKey.seal`) as BinaryData with the ENCRYPTED flag: the
    /// server routes it unread (`docs/PROTOCOL.md` §5, §19).
    public func send(_ payload: ByteBuffer, to destination: Destination, reliable: Bool = true, encrypted: Bool) async throws(CourierClientError) {
        try await send(.binaryData, payload, to: destination, reliable: reliable, awaitAcknowledgement: false, flags: encrypted ? .encrypted : [])
    }

    /// Seals `plaintext` with `key` and sends it as BinaryData with the ENCRYPTED flag.
    /// The receiver opens it with `IncomingMessage.open(with:)`.
    public func send(sealing plaintext: ByteBuffer, with key: EndToEndKey, to destination: Destination, reliable: Bool = true) async throws {
        let sealed = try key.seal(plaintext)
        try await send(.binaryData, sealed, to: destination, reliable: reliable, awaitAcknowledgement: false, flags: .encrypted)
    }

    /// Seals UTF-8 `text` with `key` and sends it as TextData with the ENCRYPTED flag
    /// (the server does not check its UTF-8: it cannot read it; §7.9). The receiver
    /// opens it with `IncomingMessage.openText(with:)`.
    public func send(sealing text: String, with key: EndToEndKey, to destination: Destination, reliable: Bool = true) async throws {
        let sealed = try key.seal(ByteBuffer(string: text))
        try await send(.textData, sealed, to: destination, reliable: reliable, awaitAcknowledgement: false, flags: .encrypted)
    }
}

extension IncomingMessage {
    /// Opens an end-to-end encrypted payload (the ENCRYPTED flag set) with `key`.
    public func open(with key: EndToEndKey) throws(EndToEndError) -> ByteBuffer {
        guard flags.contains(.encrypted) else { throw .notEncrypted }
        return try key.open(payload)
    }

    /// Opens an encrypted TextData and checks that the plaintext is UTF-8.
    public func openText(with key: EndToEndKey) throws(EndToEndError) -> String {
        let plaintext = try open(with: key)
        guard let text = String(validating: plaintext.readableBytesView, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }
}
