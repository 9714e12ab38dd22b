import CourierSession
import CourierWire
import NIOConcurrencyHelpers
import NIOCore

/// Subscriptions, publishing and topic history. Publishing and subscribing each take
/// the lock once, so a subscriber recovering history gets every message exactly once:
/// those before its subscription from the history, those after it live.
extension SessionRegistry {
    struct SubscribeOutcome: Sendable {
        var alias: UInt32
        var epoch: UInt64
        /// The offset of the first message delivered on the channel after the result.
        var offset: UInt64
        var recovery: SubscribeResult.Recovery
        /// History to deliver (in order, before anything live) when recovered.
        var missed: [CourierMessage]
    }

    /// Subscribes `sessionID` to `pattern`; nil when the session is at its limit.
    func subscribe(sessionID: UInt64, pattern: TopicPattern, maxSubscriptions: Int, recover: Subscribe.Recover?, now: SessionInstant) -> SubscribeOutcome? {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else { return nil }
            if let existing = entry.subscriptions.first(where: { $0.value == pattern })?.key {
                return SubscribeOutcome(alias: existing, epoch: 0, offset: 0, recovery: recover == nil ? .notRequested : .failed, missed: [])
            }
            guard entry.subscriptions.count < maxSubscriptions else { return nil }
            let alias = entry.nextAlias
            entry.nextAlias = alias == .max ? 1 : alias + 1
            entry.subscriptions[alias] = pattern
            state.sessions[sessionID] = entry
            var outcome = SubscribeOutcome(alias: alias, epoch: 0, offset: 0, recovery: recover == nil ? .notRequested : .failed, missed: [])
            if pattern.isLiteral {
                state.exact[pattern.text, default: [:]][sessionID] = alias
                if historyLimits != nil {
                    var history = takeHistory(&state, pattern.text)
                    outcome.epoch = history.epoch
                    outcome.offset = history.nextOffset
                    if let recover, case .recovered(let missed) = history.messages(from: recover.offset, epoch: recover.epoch, now: now) {
                        outcome.recovery = .recovered
                        outcome.offset = recover.offset
                        outcome.missed = missed
                    }
                    state.histories[pattern.text] = history
                }
            } else {
                state.wildcards[sessionID, default: [:]][alias] = pattern
            }
            return outcome
        }
    }

    func unsubscribe(sessionID: UInt64, alias: UInt32) -> Bool {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID], let pattern = entry.subscriptions.removeValue(forKey: alias) else { return false }
            state.sessions[sessionID] = entry
            if pattern.isLiteral {
                state.exact[pattern.text]?[sessionID] = nil
                if state.exact[pattern.text]?.isEmpty == true { state.exact[pattern.text] = nil }
            } else {
                state.wildcards[sessionID]?[alias] = nil
            }
            return true
        }
    }

    func subscriptionCount(of sessionID: UInt64) -> Int {
        state.withLockedValue { $0.sessions[sessionID]?.subscriptions.count ?? 0 }
    }

    /// Publishes `message` (recipient-side header, no route yet) to every subscriber of
    /// `topic`, keeping it in the topic's history. Returns the number of recipients.
    /// With history on, deliveries are reliable, so offsets on a channel never skip.
    @discardableResult
    func publish(topic: String, _ message: CourierMessage, reliable: Bool, bytes: Int, now: SessionInstant) -> Int {
        state.withLockedValue { state in
            var reliable = reliable
            if historyLimits != nil {
                var history = takeHistory(&state, topic)
                _ = history.append(message, now: now)
                state.histories[topic] = history
                reliable = true
            }
            var count = 0
            for (session, alias) in state.exact[topic] ?? [:] {
                if Self.deliver(&state, to: session, Self.routed(message, .channel(alias)), reliable: reliable, bytes: bytes) { count += 1 }
            }
            for (session, patterns) in state.wildcards {
                for (_, pattern) in patterns where pattern.matches(topic) {
                    if Self.deliver(&state, to: session, Self.routed(message, .topic(topic)), reliable: reliable, bytes: bytes) { count += 1 }
                }
            }
            return count
        }
    }

    /// The topic's history, taken out of the map (so it can be mutated without a copy),
    /// created if missing; the caller puts it back. Evicts the oldest histories beyond the limit.
    private func takeHistory(_ state: inout State, _ topic: String) -> TopicHistory {
        if let history = state.histories.removeValue(forKey: topic) { return history }
        state.historyOrder.append(topic)
        if state.historyOrder.count > maxHistoryTopics {
            let evicted = state.historyOrder.removeFirst()
            state.histories[evicted] = nil
        }
        return TopicHistory(epoch: UInt64.random(in: 1...UInt64(Int64.max)), limits: historyLimits!)
    }

    /// `message` with its route set (payload shared, not copied).
    static func routed(_ message: CourierMessage, _ route: Route) -> CourierMessage {
        var copy = message
        switch copy.body {
        case .textData(var data):
            data.route = route
            copy.body = .textData(data)
        case .binaryData(var data):
            data.route = route
            copy.body = .binaryData(data)
        case .deltaUpdate(var update):
            update.route = route
            copy.body = .deltaUpdate(update)
        default:
            break
        }
        return copy
    }
}
