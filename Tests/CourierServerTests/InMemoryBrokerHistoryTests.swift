@testable import CourierServer
import CourierSession
import CourierWire
import NIOCore
import Testing

/// The in-memory broker's topic histories: offsets per topic, and at most
/// `maxHistoryTopics` topics, the oldest forgotten first.
@Suite("In-memory broker histories")
struct InMemoryBrokerHistoryTests {
    static func publish(_ broker: InMemoryBroker, _ topic: String, at milliseconds: Int64) -> BrokerPublication {
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic(topic), payload: ByteBuffer(string: topic))))
        var batch = [BrokerPublication(topic: topic, message: message, reliable: false, bytes: topic.utf8.count)]
        broker.publish(&batch, now: SessionInstant(nanoseconds: UInt64(milliseconds) * 1_000_000))
        return batch[0]
    }

    @Test func offsetsCountPerTopicInOneEpoch() {
        let broker = InMemoryBroker(historyLimits: .init(maxMessages: 10), maxHistoryTopics: 4)
        let first = Self.publish(broker, "a", at: 1)
        let second = Self.publish(broker, "a", at: 2)
        let other = Self.publish(broker, "b", at: 3)
        #expect(first.offset == 1 && second.offset == 2 && other.offset == 1)
        #expect(first.epoch == second.epoch && first.epoch != 0)
        let read = broker.history(of: "a", recover: Subscribe.Recover(epoch: first.epoch, offset: 1), now: SessionInstant(nanoseconds: 4_000_000))
        #expect(read.nextOffset == 3 && read.missed?.count == 2)
    }

    @Test func theOldestTopicIsForgottenBeyondTheLimit() {
        let broker = InMemoryBroker(historyLimits: .init(maxMessages: 10), maxHistoryTopics: 2)
        let a = Self.publish(broker, "a", at: 1)
        let b = Self.publish(broker, "b", at: 2)
        _ = Self.publish(broker, "c", at: 3)  // a third topic: "a" goes
        let now = SessionInstant(nanoseconds: 4_000_000)
        #expect(broker.history(of: "b", recover: Subscribe.Recover(epoch: b.epoch, offset: 1), now: now).missed?.count == 1)
        // "a" starts again: a new epoch, offsets from 1, nothing to recover. (Asking made
        // it a topic with history again, so "b" is now the one forgotten.)
        let again = broker.history(of: "a", recover: Subscribe.Recover(epoch: a.epoch, offset: 1), now: now)
        #expect(again.epoch != a.epoch && again.nextOffset == 1 && again.missed == nil)
        #expect(broker.history(of: "b", recover: nil, now: now).epoch != b.epoch)
    }
}
