@testable import CourierClient
import CourierWire
import NIOCore
import Testing

@Suite("Outbound batching (§1, §4, §10)")
struct OutboundBatcherTests {
    static func reliable(_ sequence: UInt32, _ text: String = "x") -> CourierMessage {
        Harness.data(text, sequence: sequence)
    }

    static func decode(_ frame: ByteBuffer, _ version: ProtocolVersion = .v2) throws -> [DecodedMessage] {
        try FrameReader.decodeAll(frame, decoder: MessageDecoder(version: version))
    }

    @Test func controlMessagesGoAheadOfData() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        batcher.append(Self.reliable(1))
        batcher.append(CourierMessage(body: .acknowledge(Acknowledge(sequence: 9))))
        batcher.append(CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "a.*"))))
        batcher.append(CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: 1))))
        let (frames, failures) = batcher.drain(allocator: ByteBufferAllocator())
        #expect(failures.isEmpty && frames.count == 1)
        let types = try Self.decode(frames[0]).map(\.message.type)
        #expect(types == [.acknowledge, .heartbeat, .textData, .subscribe])
        #expect(batcher.isEmpty)
    }

    @Test func everyMessageButTheLastCarriesItsLength() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        for sequence in UInt32(1)...3 { batcher.append(Self.reliable(sequence)) }
        let frame = try #require(batcher.drain(allocator: ByteBufferAllocator()).frames.first)
        #expect(try Self.decode(frame).map(\.hasLength) == [true, true, false])
    }

    @Test func sequencesStayImplicitAcrossDrainsOnTheSameConnection() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        batcher.append(Self.reliable(5))
        let first = try Self.decode(try #require(batcher.drain(allocator: ByteBufferAllocator()).frames.first))
        batcher.append(Self.reliable(6))
        batcher.append(Self.reliable(8))
        let second = try Self.decode(try #require(batcher.drain(allocator: ByteBufferAllocator()).frames.first))
        #expect(first.map(\.message.header.sequence) == [5])
        #expect(second.map(\.message.header.sequence) == [nil, 8], "a gap in numbering is written explicitly")
    }

    @Test func aMessageThatDoesNotEncodeIsLeftOutWithoutBreakingImplicitSequences() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        batcher.append(Self.reliable(1))
        batcher.append(Harness.data("bad", sequence: 2, route: .topic(String(repeating: "t", count: 300))))
        batcher.append(Self.reliable(3))
        let (frames, failures) = batcher.drain(allocator: ByteBufferAllocator())
        #expect(failures.map(\.error.code) == [.fieldTooLong])
        #expect(try Self.decode(try #require(frames.first)).map(\.message.header.sequence) == [1, 3])
    }

    @Test func batchesRespectTheByteBudget() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 2_000)
        let big = String(repeating: "b", count: 1_200)
        for sequence in UInt32(1)...3 { batcher.append(Self.reliable(sequence, big)) }
        let frames = batcher.drain(allocator: ByteBufferAllocator()).frames
        #expect(frames.count == 3, "one 1.2 KB message per 2 KB frame")
        #expect(try frames.map { try Self.decode($0).count } == [1, 1, 1])
    }

    @Test func v1KeepsExplicitSequencesAndTheSessionID() throws {
        var batcher = OutboundBatcher(version: .v1, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        batcher.sessionID = 99
        batcher.append(Self.reliable(1))
        batcher.append(Self.reliable(2))
        let decoded = try Self.decode(try #require(batcher.drain(allocator: ByteBufferAllocator()).frames.first), .v1)
        #expect(decoded.map(\.message.header.sequence) == [1, 2])
        #expect(decoded.map(\.message.header.sessionID) == [99, 99])
    }

    @Test func droppingDataKeepsControlMessages() throws {
        var batcher = OutboundBatcher(version: .v2, maxMessagesPerFrame: 1_024, frameBudget: 1 << 20)
        batcher.append(Self.reliable(1))
        batcher.append(CourierMessage(body: .close(Close(code: .normal, reason: ""))))
        batcher.dropData()
        let frame = try #require(batcher.drain(allocator: ByteBufferAllocator()).frames.first)
        #expect(try Self.decode(frame).map(\.message.type) == [.close])
    }
}
