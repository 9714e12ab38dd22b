import CourierSession
import CourierWire
import NIOConcurrencyHelpers
import NIOCore

/// The node-local router: subscriptions, and the fan-out of the broker's publications
/// to this node's sessions (`docs/PROTOCOL.md` §15, §16). History lives in the broker.
extension SessionRegistry {
    struct SubscribeOutcome: Sendable {
        var alias: UInt32
        /// False when the session already had this pattern (same alias, nothing new).
        var isNew: Bool
    }

    /// Subscribes `sessionID` to `pattern`; nil when the session is at its limit.
    func subscribe(sessionID: UInt64, pattern: TopicPattern, maxSubscriptions: Int) -> SubscribeOutcome? {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else { return nil }
            if let existing = entry.subscriptions.first(where: { $0.value == pattern })?.key {
                return SubscribeOutcome(alias: existing, isNew: false)
            }
            guard entry.subscriptions.count < maxSubscriptions else { return nil }
            let alias = entry.nextAlias
            entry.nextAlias = alias == .max ? 1 : alias + 1
            entry.subscriptions[alias] = pattern
            state.sessions[sessionID] = entry
            if pattern.isLiteral {
                state.exact[pattern.text, default: [:]][sessionID] = alias
            } else {
                state.wildcards[sessionID, default: [:]][alias] = pattern
            }
            return SubscribeOutcome(alias: alias, isNew: true)
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

    /// How `topic` reaches `sessionID` (the route and channel live deliveries use):
    /// its literal subscription first, else a matching wildcard; nil without either.
    func route(of topic: String, to sessionID: UInt64) -> (route: Route, channel: UInt32)? {
        state.withLockedValue { state in
            if let alias = state.exact[topic]?[sessionID] { return (.channel(alias), alias) }
            guard let patterns = state.wildcards[sessionID] else { return nil }
            for (alias, pattern) in patterns where pattern.matches(topic) { return (.topic(topic), alias) }
            return nil
        }
    }

    func subscriptionCount(of sessionID: UInt64) -> Int {
        state.withLockedValue { $0.sessions[sessionID]?.subscriptions.count ?? 0 }
    }

    /// Deliveries bound for an attached session.
    struct Delivery: Sendable {
        var mailbox: ConnectionMailbox
        var run: DeliveryRun
    }

    /// The broker's sink: fans each publication out to every subscriber on this node.
    ///
    /// One `OutboundPublication` per publication, shared by all its recipients. The
    /// batch is cut into runs of consecutive publications to the same topic; each
    /// recipient gets a whole run in one call (subscriber-major: one visit per
    /// connection, not one per message), so the publisher's order holds across topics
    /// too. One lock for the whole batch; hops to each event loop are queued under
    /// it, so ahead of any detach. Deliveries of topics with history are reliable, so
    /// offsets on a channel never skip. Returns the number of deliveries.
    @discardableResult
    func fanOut(_ batch: [BrokerPublication]) -> Int {
        state.withLockedValue { state in
            var groups: [(loop: any EventLoop, deliveries: [Delivery], count: Int)] = []
            var count = 0
            func send(_ session: UInt64, _ run: DeliveryRun) {
                guard let mailbox = state.attached[session] else {
                    for publication in run.publications where Self.deliver(&state, to: session, QueuedDelivery(publication: publication, route: run.route, channel: run.channel)) {
                        count += 1
                    }
                    return
                }
                count += run.publications.count
                let loop = mailbox.eventLoop
                let index = groups.firstIndex { $0.loop === loop } ?? {
                    groups.append((loop, [], 0))
                    groups[groups.count - 1].deliveries.reserveCapacity(256)
                    return groups.count - 1
                }()
                groups[index].deliveries.append(Delivery(mailbox: mailbox, run: run))
                groups[index].count += run.publications.count
                // Bounded hops: large fan-outs go out in slices, so memory and latency stay flat.
                if groups[index].count >= Self.deliveriesPerHop {
                    Self.hop(loop, groups[index].deliveries)
                    groups[index].deliveries = []
                    groups[index].deliveries.reserveCapacity(256)
                    groups[index].count = 0
                }
            }
            let hasWildcards = !state.wildcards.isEmpty
            var start = batch.startIndex
            while start < batch.endIndex {
                let topic = batch[start].topic
                var end = start + 1
                while end < batch.endIndex, batch[end].topic == topic { end += 1 }
                defer { start = end }
                let exact = state.exact[topic]
                guard exact != nil || hasWildcards else { continue }
                let policy = policies.policy(for: topic)
                let shared = batch[start..<end].map { publication in
                    var message = publication.message
                    // One compact copy for everyone (unless the broker made one), so no
                    // subscriber's queue pins the publisher's whole read buffer.
                    if publication.offset == 0 { message = TopicHistory.compacted(message) }
                    return OutboundPublication(
                        message: message, topic: topic, reliable: publication.reliable || publication.offset != 0,
                        bytes: publication.bytes, policy: policy, offset: publication.offset,
                        compressed: publication.compressed, delta: publication.delta
                    )
                }
                for (session, alias) in exact ?? [:] {
                    send(session, DeliveryRun(publications: shared, route: .channel(alias), channel: alias))
                }
                guard hasWildcards else { continue }
                for (session, patterns) in state.wildcards {
                    for (alias, pattern) in patterns where pattern.matches(topic) {
                        send(session, DeliveryRun(publications: shared, route: .topic(topic), channel: alias))
                    }
                }
            }
            for group in groups where !group.deliveries.isEmpty { Self.hop(group.loop, group.deliveries) }
            return count
        }
    }

    /// Most deliveries handed to one event loop in one task.
    static let deliveriesPerHop = 4_096

    static func hop(_ loop: any EventLoop, _ deliveries: [Delivery]) {
        loop.execute {
            for delivery in deliveries { delivery.mailbox.deliver(delivery.run) }
            // Each connection appears once per run: write what it got now.
            for delivery in deliveries { delivery.mailbox.endOfDeliveries() }
        }
    }
}
