import CourierAuth
import CourierSession
import CourierWire
import NIOConcurrencyHelpers

/// Saving the detached sessions when the server stops and taking them back when the
/// next process starts (`SessionSnapshot`).
extension SessionRegistry {
    /// Every detached session, as it stands at `now`. Attached sessions are not in it
    /// (a drain closes every connection first, which detaches them).
    func snapshot(now: SessionInstant, savedAtMicros: Int64) throws -> SessionSnapshot {
        let sessions = try state.withLockedValue { state in
            try state.sessions.sorted { $0.key < $1.key }.compactMap { id, entry -> SessionSnapshot.Session? in
                guard case .detached(let detached) = entry.attachment else { return nil }
                let outbound = detached.reliable.outbound
                return SessionSnapshot.Session(
                    id: id,
                    userID: entry.principal.userID,
                    publish: entry.principal.publish,
                    subscribe: entry.principal.subscribe,
                    subscriptions: entry.subscriptions.sorted { $0.key < $1.key }.map { .init(alias: $0.key, pattern: $0.value.text) },
                    nextAlias: entry.nextAlias,
                    detachedForMicros: Int64(clamping: now.since(detached.since).nanoseconds / 1_000),
                    overflowed: detached.overflowed,
                    inboundAliases: detached.inboundAliases.sorted { $0.key < $1.key }.map { .init(alias: $0.key, pattern: $0.value) },
                    lastReceived: detached.reliable.inbound.lastReceived,
                    lastSent: outbound.lastSent,
                    acknowledged: outbound.acknowledged,
                    unacknowledged: try outbound.entries.map(SessionSnapshot.encode)
                )
            }
        }
        return SessionSnapshot(format: SessionSnapshot.currentFormat, savedAtMicros: savedAtMicros, sessions: sessions)
    }

    /// Takes the snapshot's sessions back as detached sessions, `elapsed` after it was
    /// saved. Sessions whose resume window has passed are left out. Returns how many
    /// were restored; an invalid session throws and nothing is restored.
    func restore(_ snapshot: SessionSnapshot, elapsed: Duration, now: SessionInstant) throws(SessionSnapshot.LoadError) -> Int {
        var restored: [(UInt64, Entry)] = []
        for session in snapshot.sessions {
            let detachedFor = Duration.microseconds(max(0, session.detachedForMicros)) + max(.zero, elapsed)
            guard detachedFor < resumeWindow else { continue }
            var subscriptions: [UInt32: TopicPattern] = [:]
            for subscription in session.subscriptions {
                guard let pattern = try? TopicPattern(subscription.pattern) else {
                    throw .invalidSession(session.id, "subscription \(subscription.alias) has the invalid pattern \(subscription.pattern)")
                }
                subscriptions[subscription.alias] = pattern
            }
            var entries: [OutboundReliability.Entry] = []
            for message in session.unacknowledged {
                entries.append(try SessionSnapshot.decode(message, sessionID: session.id))
            }
            let outbound: OutboundReliability
            do {
                outbound = try OutboundReliability(
                    limits: replayLimits, lastSent: session.lastSent, acknowledged: session.acknowledged, unacknowledged: entries
                )
            } catch {
                throw .invalidSession(session.id, "\(error)")
            }
            var reliable = ReliableSession(limits: replayLimits)
            reliable.outbound = outbound
            reliable.inbound = InboundReliability(lastReceived: session.lastReceived)
            let detached = Detached(
                reliable: reliable,
                since: SessionInstant(nanoseconds: now.nanoseconds &- min(now.nanoseconds, UInt64(detachedFor.nanoseconds))),
                overflowed: session.overflowed,
                inboundAliases: Dictionary(session.inboundAliases.map { ($0.alias, $0.pattern) }, uniquingKeysWith: { _, last in last })
            )
            var entry = Entry(principal: Principal(session), attachment: .detached(detached))
            entry.subscriptions = subscriptions
            entry.nextAlias = max(1, session.nextAlias)
            restored.append((session.id, entry))
        }
        state.withLockedValue { state in
            for (id, entry) in restored where state.sessions[id] == nil {
                state.sessions[id] = entry
                state.byUser[entry.principal.userID, default: []].insert(id)
                for (alias, pattern) in entry.subscriptions {
                    if pattern.isLiteral {
                        state.exact[pattern.text, default: [:]][id] = alias
                    } else {
                        state.wildcards[id, default: [:]][alias] = pattern
                    }
                }
            }
        }
        return restored.count
    }
}
