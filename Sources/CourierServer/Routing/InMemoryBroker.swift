import CourierCompression
import CourierSession
import CourierWire
import DequeModule
import NIOConcurrencyHelpers
import NIOCore

/// The single-node broker: topic histories in memory, publications handed to the
/// sink synchronously under one lock (so each topic's offsets reach the sink in order).
public final class InMemoryBroker: Broker {
    struct State {
        var sink: (@Sendable ([BrokerPublication]) -> Void)?
        var histories: [String: TopicHistory] = [:]
        /// The order topics got a history (the oldest is forgotten first).
        var historyOrder = Deque<String>()
        var deltas: DeltaStore
    }

    /// Nil: no history (offsets stay 0).
    public let historyLimits: TopicHistory.Limits?
    public let maxHistoryTopics: Int
    private let state: NIOLockedValueBox<State>

    public init(historyLimits: TopicHistory.Limits? = .init(), maxHistoryTopics: Int = 1_000, compression: ServerCompression = ServerCompression()) {
        precondition(maxHistoryTopics > 0, "maxHistoryTopics must be positive")
        self.historyLimits = historyLimits
        self.maxHistoryTopics = maxHistoryTopics
        self.state = NIOLockedValueBox(State(deltas: DeltaStore(limits: compression)))
    }

    public func setSink(_ sink: @escaping @Sendable ([BrokerPublication]) -> Void) {
        state.withLockedValue { $0.sink = sink }
    }

    public func publish(_ batch: inout [BrokerPublication], now: SessionInstant) {
        state.withLockedValue { state in
            for index in batch.indices {
                if case .deltaUpdate = batch[index].message.body { Self.version(&batch[index], in: &state.deltas) }
            }
            guard let historyLimits else {
                state.sink?(batch)
                return
            }
            for index in batch.indices {
                // Recipients share the history's compact copy (no pinned read buffer).
                batch[index].message = TopicHistory.compacted(batch[index].message)
                // Appended to in place, through its index.
                guard let slot = historySlot(of: batch[index].topic, limits: historyLimits, in: &state) else { continue }
                let (epoch, offset) = state.histories.values[slot].append(batch[index].message, now: now, isCompact: true)
                batch[index].epoch = epoch
                batch[index].offset = offset
            }
            state.sink?(batch)
        }
    }

    public func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
        guard let historyLimits else { return HistoryRead(epoch: 0, nextOffset: 0, missed: nil) }
        return state.withLockedValue { state in
            guard let slot = historySlot(of: topic, limits: historyLimits, in: &state) else { return HistoryRead(epoch: 0, nextOffset: 0, missed: nil) }
            return state.histories.values[slot].read(recover: recover, now: now)
        }
    }

    public func latestValue(of topic: String, key: String) -> LatestValue? {
        state.withLockedValue { state in
            state.deltas.latest(topic: topic, key: key).map { LatestValue(version: $0.version, value: $0.value, checksum: $0.checksum) }
        }
    }

    /// Numbers a DeltaUpdate's value and attaches the delta from the previous one
    /// (end-to-end encrypted values go as they are: deltas of ciphertext are useless).
    static func version(_ publication: inout BrokerPublication, in deltas: inout DeltaStore) {
        guard case .deltaUpdate(var update) = publication.message.body, !publication.message.header.flags.contains(.encrypted) else { return }
        // The store keeps the value: its own copy, not a slice of a read buffer.
        let value = ByteBuffer(buffer: update.payload)
        // The server sets version and checksum (what a client put there is ignored).
        update.checksum = value.withUnsafeReadableBytes { CRC32.checksum($0) }
        let recorded = deltas.record(topic: publication.topic, key: update.key, value: value, checksum: update.checksum)
        update.version = recorded.version
        update.payload = value
        publication.message.body = .deltaUpdate(update)
        publication.delta = recorded.delta
    }

    /// Where `topic`'s history is, made if it has none (the oldest histories beyond
    /// `maxHistoryTopics` forgotten first). One hash lookup for a known topic, and no
    /// allocation: `histories[topic, default: …]` allocated its default's closure context
    /// on every call. Never nil (the new history was just inserted).
    private func historySlot(of topic: String, limits: TopicHistory.Limits, in state: inout State) -> Dictionary<String, TopicHistory>.Index? {
        if let slot = state.histories.index(forKey: topic) { return slot }
        while state.historyOrder.count >= maxHistoryTopics, let oldest = state.historyOrder.popFirst() {
            state.histories[oldest] = nil
        }
        state.historyOrder.append(topic)
        state.histories[topic] = TopicHistory(epoch: UInt64.random(in: 1...UInt64(Int64.max)), limits: limits)
        return state.histories.index(forKey: topic)
    }
}
