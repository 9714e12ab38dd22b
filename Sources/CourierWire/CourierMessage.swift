/// One Courier protocol message: header fields and a typed body.
public struct CourierMessage: Hashable, Sendable {
    public var header: MessageHeader
    public var body: MessageBody

    public init(header: MessageHeader = MessageHeader(), body: MessageBody) {
        self.header = header
        self.body = body
    }

    public var type: MessageType { body.type }
}

/// A message as found in a WebSocket message: where it was and how it was framed.
public struct DecodedMessage: Hashable, Sendable {
    public var message: CourierMessage
    /// Offset of the message's first byte in the WebSocket message.
    public var offset: Int
    /// Bytes the message took, header included.
    public var length: Int
    /// Offset of the body's first byte in the WebSocket message.
    public var bodyOffset: Int
    /// v2: whether the header carried HAS_LENGTH (always true for v1).
    public var hasLength: Bool
}
