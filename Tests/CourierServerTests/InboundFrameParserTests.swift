@testable import CourierServer
import NIOCore
import NIOWebSocket
import Testing

/// The server's own WebSocket frame parser (RFC 6455 §5.2): client frames in any
/// split, unmasked payloads, and a 1002 or 1009 for every frame the RFC forbids.
@Suite("Inbound WebSocket frame parser")
struct InboundFrameParserTests {
    static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// One client frame as a browser sends it (masked unless `masked` is false).
    static func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0, declaredLength: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
        let length = declaredLength ?? UInt64(payload.count)
        let mask: UInt8 = masked ? 0x80 : 0
        if length < 126 {
            bytes.append(mask | UInt8(length))
        } else if length <= 0xFFFF {
            bytes.append(mask | 126)
            bytes += [UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            bytes.append(mask | 127)
            bytes += (0..<8).reversed().map { UInt8((length >> (8 * UInt64($0))) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    static func parse(_ bytes: [UInt8], max: Int = 1 << 20) throws(InboundFrameParser.Failure) -> [InboundFrameParser.Frame] {
        var parser = InboundFrameParser(maxFrameBytes: max)
        parser.append(ByteBuffer(bytes: bytes))
        var frames: [InboundFrameParser.Frame] = []
        while let frame = try parser.next() { frames.append(frame) }
        return frames
    }

    @Test(arguments: [0, 1, 125, 126, 300, 65_535, 65_536, 70_000])
    func aMaskedFrameOfAnyLengthEncodingComesOutUnmasked(length: Int) throws {
        let payload = (0..<length).map { UInt8($0 % 251) }
        let frames = try Self.parse(Self.frame(0x2, payload))
        #expect(frames.count == 1)
        #expect(frames.first?.fin == true)
        #expect(frames.first?.opcode == .binary)
        #expect(frames.first.map { Array($0.payload.readableBytesView) } == payload)
    }

    @Test func framesSplitAnywhereAndBatchedTogetherAllArriveInOrder() throws {
        var stream: [UInt8] = []
        var expected: [[UInt8]] = []
        for index in 0..<50 {
            let payload = (0..<(index * 37 % 400)).map { UInt8(($0 + index) % 256) }
            expected.append(payload)
            stream += Self.frame(index % 7 == 0 ? 0x9 : 0x2, index % 7 == 0 ? Array(payload.prefix(125)) : payload)
            if index % 7 == 0 { expected[index] = Array(payload.prefix(125)) }
        }
        // Every chunk size from one byte up: no frame is lost, split or reordered, and
        // the parser never holds more than about one frame and one read.
        for chunk in [1, 2, 3, 7, 64, 333, 4_096] {
            var parser = InboundFrameParser(maxFrameBytes: 1 << 20)
            var received: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + chunk, stream.count)
                parser.append(ByteBuffer(bytes: stream[offset..<end]))
                offset = end
                while let frame = try parser.next() { received.append(Array(frame.payload.readableBytesView)) }
                #expect(parser.bufferedBytes < 420 + chunk)
                #expect(parser.bufferedCapacity <= 4 * (420 + chunk) + 1_024)
            }
            #expect(received == expected, "chunk \(chunk)")
            #expect(parser.bufferedBytes == 0)
        }
    }

    @Test func fragmentsAndControlFramesKeepTheirOpcodeAndFin() throws {
        let frames = try Self.parse(Self.frame(0x2, [1], fin: false) + Self.frame(0x9, [9]) + Self.frame(0x0, [2], fin: true) + Self.frame(0x8, [0x03, 0xE8]))
        #expect(frames.map(\.opcode) == [.binary, .ping, .continuation, .connectionClose])
        #expect(frames.map(\.fin) == [false, true, true, true])
    }

    @Test func whatTheRFCForbidsFailsWith1002() {
        let cases: [(String, [UInt8])] = [
            ("reserved bit", Self.frame(0x2, [1], rsv: 0x40)),
            ("unknown opcode", Self.frame(0x3, [1])),
            ("unknown control opcode", Self.frame(0xB, [1])),
            ("unmasked", Self.frame(0x2, [1], masked: false)),
            ("fragmented ping", Self.frame(0x9, [1], fin: false)),
            ("long close", Self.frame(0x8, [UInt8](repeating: 0, count: 126))),
            ("64-bit length with the top bit", Array(Self.frame(0x2, [], declaredLength: 1 << 63).prefix(10))),
        ]
        for (name, bytes) in cases {
            #expect(throws: InboundFrameParser.Failure.self, "\(name)") { _ = try Self.parse(bytes) }
            do {
                _ = try Self.parse(bytes)
            } catch {
                #expect(error.closeCode == 1002, "\(name): \(error)")
            }
        }
    }

    @Test func aFrameOverTheLimitFailsWith1009FromItsHeaderAlone() {
        // Only the 4 header bytes: the length is refused before any payload is buffered.
        let header = Array(Self.frame(0x2, [UInt8](repeating: 0, count: 1_001)).prefix(4))
        do {
            _ = try Self.parse(header, max: 1_000)
            Issue.record("a frame over the limit was accepted")
        } catch {
            #expect(error == .tooBig("frame of 1001 bytes over the limit of 1000"))
            #expect(error.closeCode == 1009)
        }
        #expect(throws: Never.self) { _ = try Self.parse(Self.frame(0x2, [UInt8](repeating: 0, count: 1_000)), max: 1_000) }
    }

    @Test func anIncompleteFrameWaitsWithoutFailing() throws {
        let whole = Self.frame(0x2, [UInt8](repeating: 7, count: 200))
        for cut in [0, 1, 2, 3, 4, 7, 8, 100, whole.count - 1] {
            #expect(try Self.parse(Array(whole.prefix(cut))).isEmpty, "cut at \(cut)")
        }
    }
}
