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
        /// Another connection is taking the session over; reliable deliveries wait here.
        case handingOver(pending: [Pending])
        case detached(Detached)
    }

    struct Pending: Sendable {
        var message: CourierMessage
        var bytes: Int
    }

    struct Entry: Sendable {
        let principal: Principal
        var attachment: Attachment
        var subscriptions: [UInt32: TopicPattern] = [:]
        var nextAlias: UInt32 = 1
    }

    struct State: Sendable {
        var sessions: [UInt64: Entry] = [:]
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
    private let state = NIOLockedValueBox(State())
    static let expiredMemory = 65_536

    init(resumeWindow: Duration, replayLimits: OutboundReliability.Limits) {
        self.resumeWindow = resumeWindow
        self.replayLimits = replayLimits
    }

    var count: Int { state.withLockedValue { $0.sessions.count } }

    /// A new session for `principal`, attached to `mailbox`.
    func create(principal: Principal, mailbox: ConnectionMailbox) -> UInt64 {
        state.withLockedValue { state in
            var id: UInt64
            repeat { id = UInt64.random(in: 1...UInt64.max) } while state.sessions[id] != nil || state.expired.contains(id)
            state.sessions[id] = Entry(principal: principal, attachment: .attached(mailbox))
            state.byUser[principal.userID, default: []].insert(id)
            return id
        }
    }

    enum ResumeOutcome: Sendable {
        case resumed(ReliableSession, inboundAliases: [UInt32: String])
        case failed(HandshakeResponse.ResumeFailure)
        /// Still attached to another connection: hand it over first, then try again.
        case handOver(ConnectionMailbox)
    }

    func resume(sessionID: UInt64, principal: Principal, mailbox: ConnectionMailbox) -> ResumeOutcome {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else {
                return .failed(state.expired.contains(sessionID) ? .expired : .unknownSession)
            }
            guard entry.principal.userID == principal.userID else { return .failed(.invalidToken) }
            switch entry.attachment {
            case .attached(let old):
                entry.attachment = .handingOver(pending: [])
                state.sessions[sessionID] = entry
                return .handOver(old)
            case .handingOver:
                return .failed(.unknownSession)  // two resumes racing: the second loses
            case .detached(let detached):
                if detached.overflowed {
                    Self.remove(sessionID, from: &state)
                    return .failed(.bufferOverflowed)
                }
                entry.attachment = .attached(mailbox)
                state.sessions[sessionID] = entry
                return .resumed(detached.reliable, inboundAliases: detached.inboundAliases)
            }
        }
    }

    /// First step of detaching: stop sending to the connection; deliveries wait here
    /// until `detach` brings the session's state.
    func beginDetach(sessionID: UInt64, connectionID: UInt64) {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID], case .attached(let mailbox) = entry.attachment, mailbox.connectionID == connectionID else { return }
            entry.attachment = .handingOver(pending: [])
            state.sessions[sessionID] = entry
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
            case .handingOver(let pending):
                var detached = Detached(reliable: reliable, since: now, overflowed: overflowed, inboundAliases: inboundAliases)
                for item in pending {
                    var numbered = item.message
                    if case .bufferFull = detached.reliable.outbound.assign(&numbered, bytes: item.bytes) { detached.overflowed = true }
                }
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

    /// Delivers to one session wherever it is. `message` carries its route already.
    @discardableResult
    func deliver(to sessionID: UInt64, _ message: CourierMessage, reliable: Bool, bytes: Int) -> DeliveryResult {
        let known: Bool = state.withLockedValue { state in
            guard var entry = state.sessions[sessionID] else { return false }
            switch entry.attachment {
            case .attached(let mailbox):
                // Queued while holding the lock, so it is ahead of any detach that follows.
                mailbox.eventLoop.execute { mailbox.deliver(message, reliable, bytes) }
                return true
            case .handingOver(var pending):
                guard reliable else { return true }  // unreliable messages are not kept for absent clients
                pending.append(Pending(message: message, bytes: bytes))
                entry.attachment = .handingOver(pending: pending)
                state.sessions[sessionID] = entry
                return true
            case .detached(var detached):
                guard reliable else { return true }
                var numbered = message
                if case .bufferFull = detached.reliable.outbound.assign(&numbered, bytes: bytes) { detached.overflowed = true }
                entry.attachment = .detached(detached)
                state.sessions[sessionID] = entry
                return true
            }
        }
        return known ? .sent : .unknownSession
    }

    func sessions(ofUser user: String) -> [UInt64] {
        state.withLockedValue { Array($0.byUser[user] ?? []) }
    }

    func principal(of sessionID: UInt64) -> Principal? {
        state.withLockedValue { $0.sessions[sessionID]?.principal }
    }

    // MARK: Subscriptions

    /// Subscribes `sessionID` to `pattern`; returns the channel alias deliveries use.
    func subscribe(sessionID: UInt64, pattern: TopicPattern, maxSubscriptions: Int) -> UInt32? {
        state.withLockedValue { state in
            guard var entry = state.sessions[sessionID], entry.subscriptions.count < maxSubscriptions else { return nil }
            if let existing = entry.subscriptions.first(where: { $0.value == pattern })?.key { return existing }
            let alias = entry.nextAlias
            entry.nextAlias = alias == .max ? 1 : alias + 1
            entry.subscriptions[alias] = pattern
            state.sessions[sessionID] = entry
            if pattern.isLiteral {
                state.exact[pattern.text, default: [:]][sessionID] = alias
            } else {
                state.wildcards[sessionID, default: [:]][alias] = pattern
            }
            return alias
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

    func pattern(of sessionID: UInt64, alias: UInt32) -> TopicPattern? {
        state.withLockedValue { $0.sessions[sessionID]?.subscriptions[alias] }
    }

    func subscriptionCount(of sessionID: UInt64) -> Int {
        state.withLockedValue { $0.sessions[sessionID]?.subscriptions.count ?? 0 }
    }

    /// Every (session, alias) whose subscription matches `topic`.
    func subscribers(of topic: String) -> [(session: UInt64, alias: UInt32)] {
        state.withLockedValue { state in
            var result = (state.exact[topic] ?? [:]).map { (session: $0.key, alias: $0.value) }
            for (session, patterns) in state.wildcards {
                for (alias, pattern) in patterns where pattern.matches(topic) {
                    result.append((session: session, alias: alias))
                }
            }
            return result
        }
    }
}
