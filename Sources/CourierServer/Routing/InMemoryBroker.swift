import CourierSession
import CourierWire
import NIOConcurrencyHelpers

/// The single-node broker: topic histories in memory, publications handed to the
/// sink synchronously under one lock (so each topic's offsets reach the sink in order).
public final class InMemoryBroker: Broker {
    struct State {
        var sink: (@Sendable ([BrokerPublication]) -> Void)?
        var histories: [String: TopicHistory] = [:]
        /// The order topics got a history (the oldest is forgotten first).
        var historyOrder: [String] = []
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

    public func publish(_ batch: [BrokerPublication], now: SessionInstant) {
        state.withLockedValue { state in
            guard let historyLimits else {
                state.sink?(batch)
                return
            }
            var stamped = batch
            for index in stamped.indices {
                var history = take(&state, stamped[index].topic, historyLimits)
                // Recipients share the history's compact copy (no pinned read buffer).
                stamped[index].message = TopicHistory.compacted(stamped[index].message)
                let offset = history.append(stamped[index].message, now: now, isCompact: true)
                stamped[index].epoch = history.epoch
                stamped[index].offset = offset
                state.histories[stamped[index].topic] = history
            }
            state.sink?(stamped)
        }
    }

    public func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
        guard let historyLimits else { return HistoryRead(epoch: 0, nextOffset: 0, missed: nil) }
        return state.withLockedValue { state in
            var history = take(&state, topic, historyLimits)
            defer { state.histories[topic] = history }
            var read = HistoryRead(epoch: history.epoch, nextOffset: history.nextOffset, missed: nil)
            if let recover, case .recovered(let missed) = history.messages(from: recover.offset, epoch: recover.epoch, now: now) {
                read.missed = missed
            }
            return read
        }
    }

    /// The topic's history taken out of the map (mutated without a copy; the caller
    /// puts it back), created if missing. Evicts the oldest histories beyond the limit.
    private func take(_ state: inout State, _ topic: String, _ limits: TopicHistory.Limits) -> TopicHistory {
        if let history = state.histories.removeValue(forKey: topic) { return history }
        state.historyOrder.append(topic)
        if state.historyOrder.count > maxHistoryTopics {
            let evicted = state.historyOrder.removeFirst()
            state.histories[evicted] = nil
        }
        return TopicHistory(epoch: UInt64.random(in: 1...UInt64(Int64.max)), limits: limits)
    }
}
