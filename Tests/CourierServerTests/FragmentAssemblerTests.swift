@testable import CourierServer
import CourierWire
import NIOCore
import NIOWebSocket
import Testing

/// Fragmented WebSocket messages (RFC 6455 §5.4) joined by the connection handler.
@Suite("Fragment assembler")
struct FragmentAssemblerTests {
    func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }

    @Test func aWholeFrameIsAMessageAtOnce() {
        var assembler = FragmentAssembler(maxBytes: 16)
        #expect(assembler.receive(bytes([1, 2]), opcode: .binary, fin: true) == .message(bytes([1, 2])))
        #expect(!assembler.isAssembling)
    }

    @Test func fragmentsAreJoinedInOrder() {
        var assembler = FragmentAssembler(maxBytes: 16)
        #expect(assembler.receive(bytes([1]), opcode: .binary, fin: false) == .pending)
        #expect(assembler.isAssembling)
        #expect(assembler.receive(bytes([2, 3]), opcode: .continuation, fin: false) == .pending)
        #expect(assembler.receive(bytes([]), opcode: .continuation, fin: false) == .pending)
        #expect(assembler.receive(bytes([4]), opcode: .continuation, fin: true) == .message(bytes([1, 2, 3, 4])))
        #expect(!assembler.isAssembling)
        // The next message starts afresh.
        #expect(assembler.receive(bytes([9]), opcode: .binary, fin: true) == .message(bytes([9])))
    }

    @Test func aContinuationWithoutAStartIsBadFragmentation() {
        var assembler = FragmentAssembler(maxBytes: 16)
        guard case .badFragmentation = assembler.receive(bytes([1]), opcode: .continuation, fin: true) else {
            Issue.record("a lone continuation was accepted")
            return
        }
    }

    @Test func aNewMessageInsideAFragmentedOneIsBadFragmentation() {
        var assembler = FragmentAssembler(maxBytes: 16)
        _ = assembler.receive(bytes([1]), opcode: .binary, fin: false)
        guard case .badFragmentation = assembler.receive(bytes([2]), opcode: .binary, fin: true) else {
            Issue.record("a new message interleaved with fragments was accepted")
            return
        }
    }

    @Test func tooManyBytesOrFragmentsAreRefusedWithoutKeepingThem() {
        var bytesLimit = FragmentAssembler(maxBytes: 4)
        #expect(bytesLimit.receive(bytes([1, 2, 3]), opcode: .binary, fin: false) == .pending)
        guard case .tooBig = bytesLimit.receive(bytes([4, 5]), opcode: .continuation, fin: true) else {
            Issue.record("5 bytes passed a 4-byte limit")
            return
        }
        #expect(!bytesLimit.isAssembling)
        var first = FragmentAssembler(maxBytes: 4)
        guard case .tooBig = first.receive(bytes([1, 2, 3, 4, 5]), opcode: .binary, fin: false) else {
            Issue.record("an oversized first fragment was kept")
            return
        }
        var countLimit = FragmentAssembler(maxBytes: 1_000, maxFragments: 3)
        #expect(countLimit.receive(bytes([1]), opcode: .binary, fin: false) == .pending)
        #expect(countLimit.receive(bytes([1]), opcode: .continuation, fin: false) == .pending)
        #expect(countLimit.receive(bytes([1]), opcode: .continuation, fin: false) == .pending)
        guard case .tooBig = countLimit.receive(bytes([1]), opcode: .continuation, fin: true) else {
            Issue.record("a fourth fragment passed a limit of 3")
            return
        }
    }
}
