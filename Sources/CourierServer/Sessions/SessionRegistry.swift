import CourierAuth
import CourierSession
import CourierWire
import NIOConcurrencyHelpers
import NIOCore

/// Every session on this server: attached to a connection, or detached and waiting
/// for a resume within the resume window (`docs/PROTOCOL.md` §11.3, §12).
///
/// A detached session keeps receiving: reliable deliveries are numbered into its
/// replay buffer, so a resumed client gets them exactly once. If that buffer
/// overflows, the session is marked and its resume fails with `buffer_overflowed`.
final class SessionRegistry: Sendable {
    struct Detached: Sendable {
        var reliable: ReliableSession
        var since: SessionInstant
        var overflowed: Bool
        var inboundAliases: [UInt32: String]
    }

    enum Attachment: Sendable {
        case attached(ConnectionMailbox)
        /// The connection `from` is handing the session back (it is closing, or a
        /// resuming connection asked it to); reliable deliveries wait here until its
        /// state arrives (`detach`, queued on `from`'s event loop).
        case handingOver(pending: [QueuedDelivery], from: ConnectionMailbox)
        case detached(Detached)
    }

    struct Entry: Sendable {
        let principal: Principal
        var attachment: Attachment
        var subscriptions: [UInt32: TopicPattern] = [:]
        var nextAlias: UInt32 = 1
    }

    struct State: Sendable {
        var sessions: [UInt64: Entry] = [:]
        /// The mailbox of every attached session: the fan-out fast path (no Entry copy).
        var attached: [UInt64: ConnectionMailbox] = [:]
        var byUser: [String: Set<UInt64>] = [:]
        /// Literal subscriptions: topic → (session, alias).
        var exact: [String: [UInt64: UInt32]] = [:]
        /// Wildcard subscriptions.
        var wildcards: [UInt64: [UInt32: TopicPattern]] = [:]
        /// Recently expired sessions, so a late resume says `expired`, not `unknown_session`.
        var expired: Set<UInt64> = []
        var expiredOrder: [UInt64] = []
    }

    let resumeWindow: Duration
    let replayLimits: OutboundReliability.Limits
    /// Each topic's slow-consumer policy.
    let policies: TopicPolicies
    let state = NIOLockedValueBox(State())
    static let expiredMemory = 65_536

    init(resumeWindow: Duration, replayLimits: OutboundReliability.Limits, policies: TopicPolicies = TopicPolicies()) {
        self.resumeWindow = resumeWindow
        self.replayLimits = replayLimits
        self.policies = policies
    }

    var count: Int { state.withLockedValue { $0.sessions.count } }

    /// A new session for `principal`, attached to `mailbox`.
    func create(principal: Principal, mailbox: ConnectionMailbox) -> UInt64 {
        state.withLockedValue { state in
            var id: UInt64
            repeat { id = UInt64.random(in: 1...UInt64.max) } while state.sessions[id] != nil || state.expired.contains(id)
            state.sessions[id] = Entry(principal: principal, attachment: .attached(mailbox))
            state.attached[id] = mailbox
            state.byUser[principal.userID, default: []].insert(id)
            return id
        }
    }

    enum ResumeOutcome: Sendable {
        case resumed(ReliableSession, inboundAliases: [UInt32: String])
        case failed(HandshakeResponse.ResumeFailure)
        /// Still attached to another connection: hand it over first, then try again.
        case handOver(ConnectionMailbox)
        /// The connection that had it is handing it back right now (its last step is
        /// queued on its event loop): try again once that loop has run it.
        case detaching(ConnectionMailbox)
    }

    func resume(sessionID: UInt64, principal: Principal, mailbox: ConnectionMailbox) -> ResumeOutcome {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else {
                return .failed(state.expired.contains(sessionID) ? .expired : .unknownSession)
            }
            guard entry.principal.userID == principal.userID else { return .failed(.invalidToken) }
            switch entry.attachment {
            case .attached(let old):
                entry.attachment = .handingOver(pending: [], from: old)
                state.sessions[sessionID] = entry
                state.attached[sessionID] = nil
                return .handOver(old)
            case .handingOver(_, let from):
                // Usually the previous connection just died and its state is on the way;
                // with two resumes racing, one of them fails on its second try.
                return .detaching(from)
            case .detached(let detached):
                if detached.overflowed {
                    Self.remove(sessionID, from: &state)
                    return .failed(.bufferOverflowed)
                }
                entry.attachment = .attached(mailbox)
                state.sessions[sessionID] = entry
                state.attached[sessionID] = mailbox
                return .resumed(detached.reliable, inboundAliases: detached.inboundAliases)
            }
        }
    }

    /// First step of detaching: stop sending to the connection; deliveries wait here
    /// until `detach` brings the session's state.
    func beginDetach(sessionID: UInt64, connectionID: UInt64) {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID], case .attached(let mailbox) = entry.attachment, mailbox.connectionID == connectionID else { return }
            entry.attachment = .handingOver(pending: [], from: mailbox)
            state.sessions[sessionID] = entry
            state.attached[sessionID] = nil
        }
    }

    /// The connection that had the session is gone (or handed it over): keep its
    /// state for a resume.
    func detach(sessionID: UInt64, connectionID: UInt64, reliable: ReliableSession, inboundAliases: [UInt32: String], now: SessionInstant, overflowed: Bool = false) {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else { return }
            switch entry.attachment {
            case .attached, .detached:
                return  // `beginDetach` did not run for this connection: another one has the session
            case .handingOver(let pending, _):
                var detached = Detached(reliable: reliable, since: now, overflowed: overflowed, inboundAliases: inboundAliases)
                for item in pending where !Self.number(item, into: &detached) { detached.overflowed = true }
                entry.attachment = .detached(detached)
                state.sessions[sessionID] = entry
            }
        }
    }

    /// The client closed its session for good.
    func end(sessionID: UInt64) {
        state.withLockedValue { Self.remove(sessionID, from: &$0) }
    }

    /// Removes detached sessions whose resume window has passed. Returns how many.
    @discardableResult
    func sweep(now: SessionInstant) -> Int {
        state.withLockedValue { state in
            let stale = state.sessions.compactMap { id, entry -> UInt64? in
                if case .detached(let d) = entry.attachment, now.since(d.since) >= resumeWindow { return id }
                return nil
            }
            for id in stale {
                Self.remove(id, from: &state)
                state.expired.insert(id)
                state.expiredOrder.append(id)
            }
            if state.expiredOrder.count > Self.expiredMemory {
                let drop = state.expiredOrder.count - Self.expiredMemory
                for id in state.expiredOrder.prefix(drop) { state.expired.remove(id) }
                state.expiredOrder.removeFirst(drop)
            }
            return stale.count
        }
    }

    private static func remove(_ id: UInt64, from state: inout State) {
        state.attached[id] = nil
        guard let entry = state.sessions.removeValue(forKey: id) else { return }
        state.byUser[entry.principal.userID]?.remove(id)
        if state.byUser[entry.principal.userID]?.isEmpty == true { state.byUser[entry.principal.userID] = nil }
        for (_, pattern) in entry.subscriptions where pattern.isLiteral {
            state.exact[pattern.text]?[id] = nil
            if state.exact[pattern.text]?.isEmpty == true { state.exact[pattern.text] = nil }
        }
        state.wildcards[id] = nil
    }

    // MARK: Delivery

    enum DeliveryResult: Equatable, Sendable {
        case sent
        case unknownSession
    }

    /// Delivers to one session wherever it is.
    @discardableResult
    func deliver(to sessionID: UInt64, _ delivery: QueuedDelivery) -> DeliveryResult {
        state.withLockedValue { Self.deliver(&$0, to: sessionID, delivery) } ? .sent : .unknownSession
    }

    /// The delivery itself, under the lock. For an attached session the hop to its
    /// event loop is queued while holding the lock, so it is ahead of any detach.
    static func deliver(_ state: inout State, to sessionID: UInt64, _ delivery: QueuedDelivery) -> Bool {
        guard var entry = state.sessions[sessionID] else { return false }
        switch entry.attachment {
        case .attached(let mailbox):
            mailbox.eventLoop.execute {
                mailbox.deliver(DeliveryRun(publications: [delivery.publication], route: delivery.route, channel: delivery.channel))
                mailbox.endOfDeliveries()
            }
        case .handingOver(var pending, let from):
            guard delivery.publication.reliable else { return true }  // unreliable messages are not kept for absent clients
            pending.append(delivery)
            entry.attachment = .handingOver(pending: pending, from: from)
            state.sessions[sessionID] = entry
        case .detached(var detached):
            guard delivery.publication.reliable else { return true }
            if !number(delivery, into: &detached) { detached.overflowed = true }
            entry.attachment = .detached(detached)
            state.sessions[sessionID] = entry
        }
        return true
    }

    /// Numbers a reliable delivery into a detached session's replay buffer; false when it is full.
    static func number(_ delivery: QueuedDelivery, into detached: inout Detached) -> Bool {
        guard delivery.publication.reliable else { return true }
        var numbered = delivery.publication.message(routed: delivery.route)
        if case .bufferFull = detached.reliable.outbound.assign(&numbered, bytes: delivery.publication.bytes) { return false }
        return true
    }

    func sessions(ofUser user: String) -> [UInt64] {
        state.withLockedValue { Array($0.byUser[user] ?? []) }
    }

    func principal(of sessionID: UInt64) -> Principal? {
        state.withLockedValue { $0.sessions[sessionID]?.principal }
    }
}
