import NIOCore

/// Decodes Courier messages of one header version.
///
/// Decoding is atomic: on success the reader index moves past the message; on an
/// error, or when more bytes are needed, it does not move. A data message's payload
/// is a slice of the input (no copy, no allocation).
public struct MessageDecoder: Sendable {
    public var version: ProtocolVersion
    public var limits: WireLimits

    public init(version: ProtocolVersion, limits: WireLimits = .default) {
        self.version = version
        self.limits = limits
    }

    /// Decodes the message at `buffer`'s reader index.
    ///
    /// - Parameters:
    ///   - frameStart: the index at which the enclosing WebSocket message starts, so
    ///     that error offsets count from there.
    ///   - allowPartial: on a byte stream, return nil when the message is not complete
    ///     yet instead of throwing `truncatedHeader`/`truncatedPayload`. (A v2 message
    ///     without HAS_LENGTH always extends to the end of the input.)
    public func decode(_ buffer: inout ByteBuffer, frameStart: Int, allowPartial: Bool = false) throws(WireError) -> DecodedMessage? {
        let start = buffer.readerIndex
        let offset = start - frameStart
        let type: MessageType
        let header: MessageHeader
        let bodyStart: Int
        let bodyLength: Int
        let hasLength: Bool
        switch version {
        case .v1:
            guard let parsed = try V1Header.parse(buffer, at: start, offset: offset, limits: limits, allowPartial: allowPartial) else { return nil }
            (type, header, bodyStart, bodyLength, hasLength) = (parsed.type, parsed.header, start + V1Header.size, parsed.bodyLength, true)
        case .v2:
            guard let parsed = try V2Header.parse(buffer, at: start, offset: offset, limits: limits, allowPartial: allowPartial) else { return nil }
            (type, header, bodyStart, bodyLength, hasLength) = (parsed.type, parsed.header, parsed.bodyStart, parsed.bodyLength, parsed.hasLength)
        }
        guard let body = buffer.getSlice(at: bodyStart, length: bodyLength) else {
            if allowPartial { return nil }
            let available = buffer.writerIndex - bodyStart
            throw WireError(.truncatedPayload, at: bodyStart - frameStart, "the header declares \(bodyLength) body bytes but \(available) remain")
        }
        var reader = BodyReader(body: body, offset: bodyStart - frameStart, version: version)
        let decoded = try MessageBody.decode(type: type, flags: header.flags, from: &reader)
        let end = bodyStart + bodyLength
        buffer.moveReaderIndex(to: end)
        return DecodedMessage(
            message: CourierMessage(header: header, body: decoded),
            offset: offset, length: end - start, bodyOffset: bodyStart - frameStart, hasLength: hasLength
        )
    }
}

/// Iterates over the messages of one WebSocket message (a batch, §1).
///
/// ```swift
/// var reader = FrameReader(frame: frame, decoder: decoder)
/// while let decoded = try reader.next() { … }
/// ```
public struct FrameReader {
    var buffer: ByteBuffer
    let frameStart: Int
    let decoder: MessageDecoder
    var count = 0

    public init(frame: ByteBuffer, decoder: MessageDecoder) {
        self.buffer = frame
        self.frameStart = frame.readerIndex
        self.decoder = decoder
    }

    /// The next message, or nil after the last one.
    public mutating func next() throws(WireError) -> DecodedMessage? {
        guard buffer.readableBytes > 0 else {
            if count == 0 { throw WireError(.emptyFrame, at: 0, "a WebSocket message must carry at least one Courier message") }
            return nil
        }
        guard count < decoder.limits.maxMessagesPerFrame else {
            throw WireError(.tooManyMessages, at: buffer.readerIndex - frameStart, "more than \(decoder.limits.maxMessagesPerFrame) messages in one WebSocket message")
        }
        count += 1
        // Not partial, so a result is always returned or an error thrown.
        return try decoder.decode(&buffer, frameStart: frameStart)
    }

    /// Decodes every message of `frame`.
    public static func decodeAll(_ frame: ByteBuffer, decoder: MessageDecoder) throws(WireError) -> [DecodedMessage] {
        var reader = FrameReader(frame: frame, decoder: decoder)
        var result: [DecodedMessage] = []
        while let next = try reader.next() { result.append(next) }
        return result
    }
}
