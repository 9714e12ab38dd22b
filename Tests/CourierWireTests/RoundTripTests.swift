import CourierWire
import NIOCore
import Testing

@Suite("Every message type encodes and decodes back, in both versions")
struct RoundTripTests {
    @Test(arguments: ProtocolVersion.allCases)
    func everyMessageRoundTrips(version: ProtocolVersion) throws {
        let encoder = MessageEncoder(version: version)
        let decoder = MessageDecoder(version: version)
        for message in MessageSamples.messages(version: version) {
            for includeLength in [true, false] {
                var buffer = ByteBuffer()
                try encoder.encode(message, into: &buffer, includeLength: includeLength)
                var reader = FrameReader(frame: buffer, decoder: decoder)
                let decoded = try #require(try reader.next())
                #expect(decoded.message == message, "\(message.type) in \(version)")
                #expect(decoded.length == buffer.readableBytes)
                #expect(try reader.next() == nil)
            }
        }
    }

    /// The server's direct Acknowledge writes exactly what the generic encoder writes,
    /// for every varint length of the sequence, with and without the length.
    @Test(arguments: ProtocolVersion.allCases)
    func theDirectAcknowledgeIsTheGenericOne(version: ProtocolVersion) throws {
        let encoder = MessageEncoder(version: version)
        let sequences: [UInt32] = [1, 2, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, .max - 1, .max]
        for sequence in sequences {
            for includeLength in [true, false] {
                var generic = ByteBuffer(bytes: [0xEE])  // not at index 0: appends after what is there
                try encoder.encode(CourierMessage(body: .acknowledge(Acknowledge(sequence: sequence))), into: &generic, includeLength: includeLength)
                var direct = ByteBuffer(bytes: [0xEE])
                encoder.encodeAcknowledge(sequence, into: &direct, includeLength: includeLength)
                #expect(direct == generic, "sequence \(sequence), length \(includeLength), \(version)")
                direct.moveReaderIndex(forwardBy: 1)
                var reader = FrameReader(frame: direct, decoder: MessageDecoder(version: version))
                #expect(try reader.next()?.message.body == .acknowledge(Acknowledge(sequence: sequence)))
            }
        }
    }

    @Test(arguments: ProtocolVersion.allCases)
    func aBatchOfEveryTypeDecodesInOrder(version: ProtocolVersion) throws {
        let messages = MessageSamples.messages(version: version)
        var buffer = ByteBuffer()
        try MessageEncoder(version: version).encodeBatch(messages, into: &buffer)
        let decoded = try FrameReader.decodeAll(buffer, decoder: MessageDecoder(version: version))
        #expect(decoded.map(\.message) == messages)
        // Offsets tile the frame exactly.
        var expectedOffset = 0
        for item in decoded {
            #expect(item.offset == expectedOffset)
            expectedOffset += item.length
        }
        #expect(expectedOffset == buffer.readableBytes)
        if version == .v2 { #expect(decoded.last?.hasLength == false) }
    }

    @Test func everyKnownTypeHasASample() {
        let covered = Set(MessageSamples.bodies.map(\.type))
        #expect(covered == Set(MessageType.allKnown))
    }

    @Test func compactCodesMapBothWays() {
        for type in MessageType.allKnown {
            let code = try! #require(type.compactCode)
            #expect(MessageType(compactCode: code) == type)
        }
        #expect(MessageType.textData.compactCode == 0x41)
        #expect(MessageType.acknowledge.compactCode == 0x83)
        #expect(MessageType(compactCode: 0xC1) == nil)
        #expect(MessageType(rawValue: 0x0140).compactCode == nil)
    }

    @Test func encoderRefusesWhatTheDecoderWouldReject() {
        var buffer = ByteBuffer()
        let delta = CourierMessage(header: MessageHeader(flags: .delta), body: .textData(DataMessage(route: .channel(1), payload: ByteBuffer())))
        #expect(throws: WireError.self) { try MessageEncoder(version: .v1).encode(delta, into: &buffer) }
        let noSequence = CourierMessage(header: MessageHeader(flags: .ackRequested), body: .binaryData(DataMessage(route: .channel(1), payload: ByteBuffer())))
        #expect(throws: WireError.self) { try MessageEncoder(version: .v1).encode(noSequence, into: &buffer) }
        let aliasZero = CourierMessage(body: .binaryData(DataMessage(route: .channel(0), payload: ByteBuffer())))
        #expect(throws: WireError.self) { try MessageEncoder(version: .v2).encode(aliasZero, into: &buffer) }
        let longTopic = CourierMessage(body: .binaryData(DataMessage(route: .topic(String(repeating: "a", count: 257)), payload: ByteBuffer())))
        #expect(throws: WireError.self) { try MessageEncoder(version: .v2).encode(longTopic, into: &buffer) }
        // A failed encode leaves nothing behind.
        #expect(buffer.readableBytes == 0)
        // v2 implicit sequence is fine; v1 needs it explicit.
        #expect(throws: Never.self) { try MessageEncoder(version: .v2).encode(noSequence, into: &buffer) }
    }
}
