import NIOCore

/// The body of TextData (0x0101) and BinaryData (0x0102): a route and the
/// application payload (`docs/PROTOCOL.md` §7.9). The payload is a slice of the
/// input buffer: decoding copies nothing.
public struct DataMessage: Hashable, Sendable {
    public var route: Route
    public var payload: ByteBuffer

    public init(route: Route, payload: ByteBuffer) {
        self.route = route
        self.payload = payload
    }

    /// - Parameter checkUTF8: TextData whose payload is neither compressed nor encrypted.
    public static func decode(from reader: inout BodyReader, checkUTF8: Bool) throws(WireError) -> DataMessage {
        let route = try Route.decode(from: &reader)
        let payloadOffset = reader.offset
        let payload = reader.rest()
        if checkUTF8, let bad = UTF8Validation.firstInvalidIndex(payload) {
            throw WireError(.invalidUTF8, at: payloadOffset + bad, "TextData payload: invalid UTF-8 at byte \(bad) of the payload")
        }
        return DataMessage(route: route, payload: payload)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        try route.encode(into: &buffer, version)
        buffer.writeImmutableBuffer(payload)
    }
}
