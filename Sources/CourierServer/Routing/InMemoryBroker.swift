import CourierSession
import CourierWire
import DequeModule
import NIOConcurrencyHelpers

/// The single-node broker: topic histories in memory, publications handed to the
/// sink synchronously under one lock (so each topic's offsets reach the sink in order).
public final class InMemoryBroker: Broker {
    struct State {
        var sink: (@Sendable ([BrokerPublication]) -> Void)?
        var histories: [String: TopicHistory] = [:]
        /// The order topics got a history (the oldest is forgotten first).
        var historyOrder = Deque<String>()
    }

    /// Nil: no history (offsets stay 0).
    public let historyLimits: TopicHistory.Limits?
    public let maxHistoryTopics: Int
    private let state = NIOLockedValueBox(State())

    public init(historyLimits: TopicHistory.Limits? = .init(), maxHistoryTopics: Int = 1_000) {
        precondition(maxHistoryTopics > 0, "maxHistoryTopics must be positive")
        self.historyLimits = historyLimits
        self.maxHistoryTopics = maxHistoryTopics
    }

    public func setSink(_ sink: @escaping @Sendable ([BrokerPublication]) -> Void) {
        state.withLockedValue { $0.sink = sink }
    }

    public func publish(_ batch: inout [BrokerPublication], now: SessionInstant) {
        state.withLockedValue { state in
            guard let historyLimits else {
                state.sink?(batch)
                return
            }
            for index in batch.indices {
                // Recipients share the history's compact copy (no pinned read buffer).
                batch[index].message = TopicHistory.compacted(batch[index].message)
                var created = false
                // One hash lookup, and the history is appended to in place.
                let (epoch, offset) = state.histories[batch[index].topic, default: {
                    created = true
                    return TopicHistory(epoch: UInt64.random(in: 1...UInt64(Int64.max)), limits: historyLimits)
                }()].append(batch[index].message, now: now, isCompact: true)
                if created { remember(batch[index].topic, in: &state) }
                batch[index].epoch = epoch
                batch[index].offset = offset
            }
            state.sink?(batch)
        }
    }

    public func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
        guard let historyLimits else { return HistoryRead(epoch: 0, nextOffset: 0, missed: nil) }
        return state.withLockedValue { state in
            var created = false
            let read = state.histories[topic, default: {
                created = true
                return TopicHistory(epoch: UInt64.random(in: 1...UInt64(Int64.max)), limits: historyLimits)
            }()].read(recover: recover, now: now)
            if created { remember(topic, in: &state) }
            return read
        }
    }

    /// Notes that `topic` got a history; forgets the oldest histories beyond the limit.
    private func remember(_ topic: String, in state: inout State) {
        state.historyOrder.append(topic)
        while state.historyOrder.count > maxHistoryTopics {
            state.histories[state.historyOrder.removeFirst()] = nil
        }
    }
}
