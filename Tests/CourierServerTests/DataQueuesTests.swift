@testable import CourierServer
import CourierWire
import NIOCore
import Testing

/// The per-connection data queues (`docs/PROTOCOL.md` §16.2): bounds, the three
/// policies, gap notices in order, round robin between channels.
@Suite("Data queues and slow-consumer policies")
struct DataQueuesTests {
    func delivery(_ text: String, channel: UInt32 = 1, topic: String = "t", bytes: Int? = nil, policy: SlowConsumerPolicy = .dropOldest) -> QueuedDelivery {
        let payload = ByteBuffer(string: text)
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic(topic), payload: payload)))
        let publication = OutboundPublication(message: message, topic: topic, reliable: false, bytes: bytes ?? payload.readableBytes, policy: policy)
        return QueuedDelivery(publication: publication, route: .channel(channel), channel: channel)
    }

    /// Everything `next` gives while `allows` says yes, as text: "c1:a" for data, "gap1:3" for a gap notice.
    func drain(_ queues: inout DataQueues, allows: (Int) -> Bool = { _ in true }) -> [String] {
        var out: [String] = []
        while let item = queues.next(allows: allows) {
            switch item {
            case .gap(let channel, let dropped): out.append("gap\(channel):\(dropped)")
            case .data(let d):
                guard case .binaryData(let data) = d.publication.message.body else { continue }
                out.append("c\(d.channel):" + String(buffer: data.payload))
            }
        }
        return out
    }

    @Test func dropOldestMakesRoomFromTheSameChannelAndSaysHowManyInOrder() {
        var queues = DataQueues(limits: .init(bytesPerChannel: 30, bytesPerConnection: 1_000))
        for i in 0..<5 { _ = queues.enqueue(delivery("m\(i)", bytes: 10)) }
        #expect(queues.totalBytes == 30)
        #expect(drain(&queues) == ["gap1:2", "c1:m2", "c1:m3", "c1:m4"])
        #expect(queues.isEmpty && queues.totalBytes == 0)
    }

    @Test func keepLatestReplacesInPlaceByKeyAndCountsTheReplaced() {
        var queues = DataQueues()
        let results = [
            queues.enqueue(delivery("a1", topic: "p.a", policy: .keepLatest)),
            queues.enqueue(delivery("b1", topic: "p.b", policy: .keepLatest)),
            queues.enqueue(delivery("a2", topic: "p.a", policy: .keepLatest)),
            queues.enqueue(delivery("a3", topic: "p.a", policy: .keepLatest)),
        ]
        #expect(results == [.queued, .queued, .queuedDropping(1), .queuedDropping(1)])
        // a3 took a1's place, ahead of b1; the two replaced ones are reported first.
        #expect(drain(&queues) == ["gap1:2", "c1:a3", "c1:b1"])
        // Once sent, a key starts over.
        _ = queues.enqueue(delivery("a4", topic: "p.a", policy: .keepLatest))
        #expect(drain(&queues) == ["c1:a4"])
    }

    @Test func disconnectIsReportedOnlyWhenTheMessageDoesNotFit() {
        var queues = DataQueues(limits: .init(bytesPerChannel: 20, bytesPerConnection: 1_000))
        #expect(queues.enqueue(delivery("x", bytes: 10, policy: .disconnect)) == .queued)
        #expect(queues.enqueue(delivery("y", bytes: 10, policy: .disconnect)) == .queued)
        #expect(queues.enqueue(delivery("z", bytes: 10, policy: .disconnect)) == .disconnect)
        #expect(queues.totalCount == 2)
    }

    @Test func channelsAreServedRoundRobinSoASiblingWaitsOneMessageAtMost() {
        var queues = DataQueues()
        for i in 0..<100 { _ = queues.enqueue(delivery("a\(i)", channel: 1)) }
        _ = queues.enqueue(delivery("b0", channel: 2))
        let out = drain(&queues)
        #expect(out.prefix(3) == ["c1:a0", "c2:b0", "c1:a1"])
        #expect(out.count == 101)
    }

    @Test func aSaturatedChannelCannotEvictASibling() {
        var queues = DataQueues(limits: .init(bytesPerChannel: 50, bytesPerConnection: 60))
        _ = queues.enqueue(delivery("b0", channel: 2, bytes: 10))
        for i in 0..<10 { _ = queues.enqueue(delivery("a\(i)", channel: 1, bytes: 10)) }
        let out = drain(&queues)
        #expect(out.contains("c2:b0"))
        #expect(out.filter { $0.hasPrefix("c1:") } == ["c1:a5", "c1:a6", "c1:a7", "c1:a8", "c1:a9"])
        #expect(out.contains("gap1:5"))
    }

    @Test func aGapNoticeWaitsForTheMessageItPrecedes() {
        var queues = DataQueues(limits: .init(bytesPerChannel: 10, bytesPerConnection: 100))
        _ = queues.enqueue(delivery("m0", bytes: 10))
        _ = queues.enqueue(delivery("m1", bytes: 10))
        _ = queues.enqueue(delivery("m2", bytes: 10))
        #expect(drain(&queues, allows: { _ in false }).isEmpty, "no credit: neither the message nor its notice")
        #expect(queues.totalCount == 1)
        #expect(drain(&queues) == ["gap1:2", "c1:m2"], "one notice with the whole count")
    }

    @Test func anOversizedMessageFitsAnEmptyQueueAndIsBoundedOtherwise() {
        var queues = DataQueues(limits: .init(bytesPerChannel: 10, bytesPerConnection: 20))
        #expect(queues.enqueue(delivery("big", bytes: 500)) == .queued)
        #expect(queues.enqueue(delivery("other", channel: 2, bytes: 5)) == .dropped)
        #expect(drain(&queues) == ["c1:big", "gap2:1"])
    }

    @Test func removingEverythingKeepsServiceOrderAndEmptiesTheAccounts() {
        var queues = DataQueues()
        _ = queues.enqueue(delivery("a0", channel: 1))
        _ = queues.enqueue(delivery("a1", channel: 1))
        _ = queues.enqueue(delivery("b0", channel: 2))
        let all = queues.removeAll().map { d -> String in
            guard case .binaryData(let data) = d.publication.message.body else { return "" }
            return String(buffer: data.payload)
        }
        #expect(all == ["a0", "b0", "a1"])
        #expect(queues.isEmpty && queues.totalBytes == 0 && queues.totalCount == 0)
        _ = queues.enqueue(delivery("c0", channel: 3))
        queues.removeChannel(3)
        #expect(queues.isEmpty && queues.totalBytes == 0)
    }
}
