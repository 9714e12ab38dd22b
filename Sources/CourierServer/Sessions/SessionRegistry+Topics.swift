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

    struct Publication: Sendable {
        var topic: String
        /// Recipient-side header, no route yet.
        var message: CourierMessage
        var reliable: Bool
        var bytes: Int
    }

    /// One delivery bound for an attached session.
    struct Delivery: Sendable {
        var mailbox: ConnectionMailbox
        var message: CourierMessage
        var reliable: Bool
        var bytes: Int
    }

    /// Publishes to every subscriber of each topic, keeping each in its topic's history.
    /// One lock for the whole batch, and one hop per event loop that has recipients
    /// (queued under the lock, so ahead of any detach). With history on, deliveries are
    /// reliable, so offsets on a channel never skip. Returns the number of deliveries.
    @discardableResult
    func publish(_ publications: [Publication], now: SessionInstant) -> Int {
        state.withLockedValue { state in
            var byLoop: [ObjectIdentifier: (loop: any EventLoop, deliveries: [Delivery])] = [:]
            var count = 0
            func send(_ session: UInt64, _ message: CourierMessage, _ reliable: Bool, _ bytes: Int) {
                if let mailbox = state.attached[session] {
                    count += 1
                    let key = ObjectIdentifier(mailbox.eventLoop)
                    byLoop[key, default: (mailbox.eventLoop, [])].deliveries
                        .append(Delivery(mailbox: mailbox, message: message, reliable: reliable, bytes: bytes))
                    // Bounded hops: large fan-outs go out in slices, so memory and latency stay flat.
                    if let group = byLoop[key], group.deliveries.count >= Self.deliveriesPerHop {
                        byLoop[key] = nil
                        Self.hop(group.loop, group.deliveries)
                    }
                } else if Self.deliver(&state, to: session, message, reliable: reliable, bytes: bytes) {
                    count += 1
                }
            }
            for publication in publications {
                var reliable = publication.reliable
                if historyLimits != nil {
                    var history = takeHistory(&state, publication.topic)
                    _ = history.append(publication.message, now: now)
                    state.histories[publication.topic] = history
                    reliable = true
                }
                for (session, alias) in state.exact[publication.topic] ?? [:] {
                    send(session, publication.message.replacingRoute(.channel(alias)), reliable, publication.bytes)
                }
                for (session, patterns) in state.wildcards {
                    for (_, pattern) in patterns where pattern.matches(publication.topic) {
                        send(session, publication.message.replacingRoute(.topic(publication.topic)), reliable, publication.bytes)
                    }
                }
            }
            for (_, group) in byLoop { Self.hop(group.loop, group.deliveries) }
            return count
        }
    }

    /// Most deliveries handed to one event loop in one task.
    static let deliveriesPerHop = 4_096

    static func hop(_ loop: any EventLoop, _ deliveries: [Delivery]) {
        loop.execute {
            for delivery in deliveries { delivery.mailbox.deliver(delivery.message, delivery.reliable, delivery.bytes) }
        }
    }

    /// Publishes one message (see the batch form).
    @discardableResult
    func publish(topic: String, _ message: CourierMessage, reliable: Bool, bytes: Int, now: SessionInstant) -> Int {
        publish([Publication(topic: topic, message: message, reliable: reliable, bytes: bytes)], now: now)
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
}
