@testable import CourierServer
import CourierSession
import CourierWire
import NIOCore
import Testing

@Suite("Topic history ring")
struct TopicHistoryTests {
    func message(_ text: String) -> CourierMessage {
        CourierMessage(body: .binaryData(DataMessage(route: .topic("t"), payload: ByteBuffer(string: text))))
    }

    func instant(_ seconds: Int) -> SessionInstant { SessionInstant(nanoseconds: UInt64(seconds) * 1_000_000_000) }

    func texts(_ recovery: TopicHistory.Recovery) -> [String]? {
        guard case .recovered(let messages) = recovery else { return nil }
        return messages.compactMap { if case .binaryData(let d) = $0.body { return String(buffer: d.payload) } else { return nil } }
    }

    @Test func offsetsCountFromOneAndTheRingKeepsTheNewest() {
        var history = TopicHistory(epoch: 7, limits: .init(maxMessages: 3, maxBytes: 1_000, maxAge: .seconds(60)))
        for n in 1...5 { #expect(history.append(message("m\(n)"), now: instant(1)).offset == UInt64(n)) }
        #expect(texts(history.messages(from: 3, epoch: 7, now: instant(1))) == ["m3", "m4", "m5"])
        #expect(texts(history.messages(from: 6, epoch: 7, now: instant(1))) == [], "up to date: nothing missed")
        #expect(texts(history.messages(from: 2, epoch: 7, now: instant(1))) == nil, "m2 is gone")
        #expect(texts(history.messages(from: 7, epoch: 7, now: instant(1))) == nil, "the future is not a position")
        #expect(texts(history.messages(from: 3, epoch: 8, now: instant(1))) == nil, "another epoch")
    }

    @Test func keptPayloadsNeverPinALargeReadBuffer() {
        func storage(_ message: CourierMessage) -> (capacity: Int, address: UnsafeRawPointer?) {
            let payload = message.dataPayload!
            return (payload.storageCapacity, payload.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) })
        }
        // A 64-byte payload sliced out of a 64 KiB read buffer: copied into 64 bytes of its own.
        var read = ByteBuffer(repeating: 7, count: 65_536)
        let slice = read.readSlice(length: 64)!
        let fromBatch = CourierMessage(body: .binaryData(DataMessage(route: .topic("t"), payload: slice)))
        let compactedBatch = storage(TopicHistory.compacted(fromBatch))
        #expect(compactedBatch.capacity < 256)
        #expect(compactedBatch.address != storage(fromBatch).address)
        // A payload whose storage is hardly larger (a single-message frame): kept as it is, no copy.
        var frame = ByteBuffer(repeating: 7, count: 73)
        frame.moveReaderIndex(forwardBy: 9)
        let single = CourierMessage(body: .binaryData(DataMessage(route: .topic("t"), payload: frame)))
        #expect(storage(TopicHistory.compacted(single)).address == storage(single).address)
    }

    @Test func bytesAndAgeBoundTheRingToo() {
        var history = TopicHistory(epoch: 1, limits: .init(maxMessages: 100, maxBytes: 10, maxAge: .seconds(60)))
        _ = history.append(message("12345"), now: instant(0))
        _ = history.append(message("67890"), now: instant(0))
        _ = history.append(message("abc"), now: instant(30))
        #expect(history.bytes <= 10)
        #expect(texts(history.messages(from: 2, epoch: 1, now: instant(30))) == ["67890", "abc"])
        #expect(texts(history.messages(from: 3, epoch: 1, now: instant(61))) == ["abc"], "the first two aged out")
        #expect(texts(history.messages(from: 2, epoch: 1, now: instant(61))) == nil)
    }

    @Test func storedPayloadsDoNotPinTheReadBuffer() {
        var big = ByteBuffer(repeating: 0, count: 64 * 1_024)
        big.writeString("payload")
        let slice = big.getSlice(at: 64 * 1_024, length: 7)!
        var history = TopicHistory(epoch: 1, limits: .init())
        _ = history.append(CourierMessage(body: .binaryData(DataMessage(route: .topic("t"), payload: slice))), now: instant(0))
        guard case .binaryData(let kept) = history.entries.first?.message.body else { Issue.record("nothing kept"); return }
        #expect(String(buffer: kept.payload) == "payload")
        #expect(kept.payload.capacity < 1_024, "a compact copy, not a slice of the 64 KiB read buffer")
    }
}
