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

    func subscriptionCount(of sessionID: UInt64) -> Int {
        state.withLockedValue { $0.sessions[sessionID]?.subscriptions.count ?? 0 }
    }

    /// One delivery bound for an attached session.
    struct Delivery: Sendable {
        var mailbox: ConnectionMailbox
        var item: QueuedDelivery
    }

    /// The broker's sink: fans each publication out to every subscriber on this node.
    /// One `OutboundPublication` per publication, shared by all its recipients; one
    /// lock for the whole batch, and one hop per event loop with recipients (queued
    /// under the lock, so ahead of any detach). Deliveries of topics with history are
    /// reliable, so offsets on a channel never skip. Returns the number of deliveries.
    @discardableResult
    func fanOut(_ batch: [BrokerPublication]) -> Int {
        state.withLockedValue { state in
            var groups: [(loop: any EventLoop, deliveries: [Delivery])] = []
            var count = 0
            func send(_ session: UInt64, _ item: QueuedDelivery) {
                guard let mailbox = state.attached[session] else {
                    if Self.deliver(&state, to: session, item) { count += 1 }
                    return
                }
                count += 1
                let loop = mailbox.eventLoop
                let index = groups.firstIndex { $0.loop === loop } ?? {
                    groups.append((loop, []))
                    groups[groups.count - 1].deliveries.reserveCapacity(min(Self.deliveriesPerHop, 1_024))
                    return groups.count - 1
                }()
                groups[index].deliveries.append(Delivery(mailbox: mailbox, item: item))
                // Bounded hops: large fan-outs go out in slices, so memory and latency stay flat.
                if groups[index].deliveries.count >= Self.deliveriesPerHop {
                    Self.hop(loop, groups[index].deliveries)
                    groups[index].deliveries.removeAll(keepingCapacity: true)
                }
            }
            for publication in batch {
                let exact = state.exact[publication.topic]
                let hasWildcards = !state.wildcards.isEmpty
                guard exact != nil || hasWildcards else { continue }
                var shared: OutboundPublication?
                func make() -> OutboundPublication {
                    if let shared { return shared }
                    var message = publication.message
                    // One compact copy for everyone (unless the broker made one), so no
                    // subscriber's queue pins the publisher's whole read buffer.
                    if publication.offset == 0 { message = TopicHistory.compacted(message) }
                    let made = OutboundPublication(
                        message: message, topic: publication.topic, reliable: publication.reliable || publication.offset != 0,
                        bytes: publication.bytes, policy: policies.policy(for: publication.topic), offset: publication.offset
                    )
                    shared = made
                    return made
                }
                if let exact {
                    let publication = make()
                    for (session, alias) in exact {
                        send(session, QueuedDelivery(publication: publication, route: .channel(alias), channel: alias))
                    }
                }
                if hasWildcards {
                    for (session, patterns) in state.wildcards {
                        for (alias, pattern) in patterns where pattern.matches(publication.topic) {
                            send(session, QueuedDelivery(publication: make(), route: .topic(publication.topic), channel: alias))
                        }
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
            for delivery in deliveries { delivery.mailbox.deliver(delivery.item) }
        }
    }
}
