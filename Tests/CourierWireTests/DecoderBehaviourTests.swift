import CourierWire
import NIOCore
import Testing

@Suite("Decoder: atomic, incremental, zero-copy")
struct DecoderBehaviourTests {
    @Test func payloadIsASliceOfTheInput() throws {
        var frame = ByteBuffer()
        let payload = ByteBuffer(bytes: Array(repeating: 0x42, count: 64))
        let message = CourierMessage(header: MessageHeader(flags: .ackRequested, sequence: 9), body: .binaryData(DataMessage(route: .channel(5), payload: payload)))
        try MessageEncoder(version: .v2).encode(message, into: &frame)
        var reader = FrameReader(frame: frame, decoder: MessageDecoder(version: .v2))
        let decoded = try #require(try reader.next())
        guard case .binaryData(let data) = decoded.message.body else { Issue.record("not binary data"); return }
        let frameRange = frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!)..<(UInt(bitPattern: $0.baseAddress!) + UInt($0.count)) }
        let payloadStart = data.payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }
        #expect(frameRange.contains(payloadStart), "the payload must point into the frame's storage")
        #expect(data.payload.readableBytes == 64)
    }

    @Test(arguments: ProtocolVersion.allCases)
    func byteByByteStreamDecodingIsAtomic(version: ProtocolVersion) throws {
        var stream = ByteBuffer()
        let messages = MessageSamples.messages(version: version)
        for message in messages { try MessageEncoder(version: version).encode(message, into: &stream, includeLength: true) }
        let all = Array(stream.readableBytesView)
        let decoder = MessageDecoder(version: version)
        var input = ByteBuffer()
        var decoded: [CourierMessage] = []
        for byte in all {
            input.writeInteger(byte)
            let before = input.readerIndex
            // Partial decoding: nil means "need more bytes" and must not consume anything.
            if let next = try decoder.decode(&input, frameStart: 0, allowPartial: true) {
                decoded.append(next.message)
                input.discardReadBytes()
            } else {
                #expect(input.readerIndex == before)
            }
        }
        #expect(decoded == messages)
    }

    @Test func aFailedDecodeLeavesTheReaderIndexAlone() throws {
        var buffer = ByteBuffer(bytes: [0x04, 0x41, 0x00, 0xFF])  // alias 0 is reserved
        let before = buffer.readerIndex
        #expect(throws: WireError.self) { _ = try MessageDecoder(version: .v2).decode(&buffer, frameStart: 0) }
        #expect(buffer.readerIndex == before)
    }

    @Test func lengthIsCheckedBeforeTheBodyIsBuffered() throws {
        // A v1 header that declares 4 GiB − 1 with no body: rejected on the header alone.
        var header = ByteBuffer(bytes: [0xC0, 0xD1, 0x01, 0x00, 0x01, 0x02])
        header.writeRepeatingByte(0, count: 20)
        header.writeInteger(UInt32.max)
        let decoder = MessageDecoder(version: .v1, limits: WireLimits(maxMessageBytes: 1_024))
        #expect {
            _ = try decoder.decode(&header, frameStart: 0, allowPartial: true)
        } throws: { ($0 as? WireError)?.code == .payloadTooLarge && ($0 as? WireError)?.offset == 26 }
    }

    @Test func implicitSequencesResolveFromThePreviousReliableMessage() {
        var resolver = SequenceResolver()
        #expect(resolver.resolve(MessageHeader(flags: .ackRequested)) == .noPrevious)
        #expect(resolver.resolve(MessageHeader(flags: .ackRequested, sequence: UInt32.max - 1)) == .sequence(UInt32.max - 1))
        #expect(resolver.resolve(MessageHeader()) == .unreliable)
        #expect(resolver.resolve(MessageHeader(flags: .ackRequested)) == .sequence(UInt32.max))
        #expect(resolver.resolve(MessageHeader(flags: .ackRequested)) == .sequence(1), "0 is skipped on wrap-around")
    }

    @Test func v2OverheadForA64BytePayloadOnAnEstablishedChannel() throws {
        // Server → client, one message per WebSocket frame: 2 bytes of WebSocket header,
        // flags, compact type, one route byte; no length (last in frame), implicit sequence.
        var buffer = ByteBuffer()
        let message = CourierMessage(header: MessageHeader(flags: .ackRequested), body: .binaryData(DataMessage(route: .channel(5), payload: ByteBuffer(repeating: 1, count: 64))))
        try MessageEncoder(version: .v2).encode(message, into: &buffer, includeLength: false)
        let courierOverhead = buffer.readableBytes - 64
        let websocketHeader = WebSocketFraming.headerSize(payloadLength: buffer.readableBytes, masked: false)
        #expect(courierOverhead == 3)
        #expect(Double(courierOverhead + websocketHeader) / 64 <= 0.10)
    }
}
