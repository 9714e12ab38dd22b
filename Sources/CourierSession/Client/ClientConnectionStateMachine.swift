import CourierWire
import NIOCore

/// One client-side connection (`docs/PROTOCOL.md` §10): awaiting the Challenge →
/// awaiting the HandshakeResponse → Active → Closing → Closed. A client session spans
/// connections: each new connection starts from the previous one's reliable state and
/// ticket, and resumes.
public struct ClientConnectionStateMachine: ActiveConnectionHolder, Sendable {
    public struct Configuration: Hashable, Sendable {
        public var version: ProtocolVersion
        /// How long to wait for the Challenge and then the HandshakeResponse.
        public var handshakeTimeout: Duration
        public var replayLimits: OutboundReliability.Limits

        public init(version: ProtocolVersion, handshakeTimeout: Duration = .seconds(10), replayLimits: OutboundReliability.Limits = .init()) {
            self.version = version
            self.handshakeTimeout = handshakeTimeout
            self.replayLimits = replayLimits
        }
    }

    /// What a client keeps between connections to resume its session.
    public struct Ticket: Hashable, Sendable {
        public var sessionID: UInt64
        public var resumeToken: ByteBuffer
        public init(sessionID: UInt64, resumeToken: ByteBuffer) {
            self.sessionID = sessionID
            self.resumeToken = resumeToken
        }
    }

    struct Previous: Sendable {
        var session: ReliableSession
        var ticket: Ticket
    }

    enum State: Sendable {
        case awaitingChallenge(deadline: SessionInstant, previous: Previous?)
        case awaitingResponse(deadline: SessionInstant, previous: Previous?)
        case active(ActiveConnection)
        case closing(ReliableSession?)
        case closed
    }

    public enum ReceiveAction: Equatable, Sendable {
        case none
        /// Prove identity over this challenge, then send `makeHandshake(auth:)`.
        case respond(Challenge)
        /// Active: send `replay` (messages the server missed), then carry on.
        case established(HandshakeResponse, replay: [CourierMessage])
        /// Active in a new session: the old one could not be resumed. `unacknowledged`
        /// are the messages sent in the old session that the server never confirmed.
        case resumeFailed(HandshakeResponse, reason: HandshakeResponse.ResumeFailure, unacknowledged: [CourierMessage])
        case deliver(CourierMessage)
        case send(CourierMessage)
        case acknowledged(released: Int)
        case peerClosed(Close)
        case peerError(ErrorMessage)
        case close(Violation)
    }

    public let configuration: Configuration
    private(set) var state: State

    /// - Parameters:
    ///   - previous: the reliable state and ticket of the session to resume, if any.
    public init(configuration: Configuration, resuming session: ReliableSession? = nil, ticket: Ticket? = nil, now: SessionInstant) {
        self.configuration = configuration
        let previous = session.flatMap { s in ticket.map { Previous(session: s, ticket: $0) } }
        self.state = .awaitingChallenge(deadline: now + configuration.handshakeTimeout, previous: previous)
    }

    public var isActive: Bool { if case .active = state { return true } else { return false } }

    public mutating func received(_ message: CourierMessage, now: SessionInstant) -> ReceiveAction {
        switch state {
        case .awaitingChallenge:
            switch message.body {
            case .challenge(let challenge):
                let version = configuration.version.rawValue
                guard challenge.minVersion <= version && version <= challenge.maxVersion else {
                    return fail(Violation(
                        error: ErrorMessage(code: .unsupportedVersion, message: "server supports \(challenge.minVersion)...\(challenge.maxVersion)"),
                        close: Close(code: .unsupportedVersion, reason: "no common protocol version")
                    ))
                }
                return .respond(challenge)
            default:
                return early(message)
            }
        case .awaitingResponse(_, let previous):
            switch message.body {
            case .handshakeResponse(let response):
                return establish(response, previous: previous, now: now)
            default:
                return early(message)
            }
        case .active(var active):
            state = .closed  // while `active` is out, it alone owns its buffers (no copy-on-write)
            let event = active.received(message, now: now)
            state = .active(active)
            switch event {
            case .none, .duplicate: return .none
            case .deliver(let m): return .deliver(m)
            case .send(let m): return .send(m)
            case .acknowledged(let n): return .acknowledged(released: n)
            case .peerClosed(let close):
                state = .closing(active.session)
                return .peerClosed(close)
            case .peerError(let e): return .peerError(e)
            case .violation(let v):
                state = .closing(active.session)
                return .close(v)
            }
        case .closing, .closed:
            return .none
        }
    }

    /// Error and Close are legitimate answers before the handshake completes.
    mutating func early(_ message: CourierMessage) -> ReceiveAction {
        switch message.body {
        case .error(let error): return .peerError(error)
        case .close(let close):
            enterClosing()
            return .peerClosed(close)
        default:
            return fail(.unexpected("\(message.type.name) during the handshake"))
        }
    }

    /// The Handshake answering the challenge, with a resume request when there is a
    /// session to resume.
    public mutating func makeHandshake(auth: Handshake.Auth, extensions: [HandshakeExtension] = []) -> CourierMessage? {
        guard case .awaitingChallenge(let deadline, let previous) = state else { return nil }
        state = .awaitingResponse(deadline: deadline, previous: previous)
        let resume = previous.map {
            Handshake.Resume(sessionID: $0.ticket.sessionID, token: $0.ticket.resumeToken, lastReceived: $0.session.inbound.lastReceived)
        }
        return CourierMessage(body: .handshake(Handshake(
            minVersion: configuration.version.rawValue, maxVersion: configuration.version.rawValue, auth: auth, resume: resume, extensions: extensions
        )))
    }

    mutating func establish(_ response: HandshakeResponse, previous: Previous?, now: SessionInstant) -> ReceiveAction {
        guard response.version == configuration.version.rawValue else {
            return fail(.unexpected("the server confirmed version \(response.version) on a \(configuration.version.subprotocol) connection"))
        }
        let interval = Duration.milliseconds(Int64(response.heartbeatMillis))
        switch (response.resume, previous) {
        case (.resumed(let serverLastReceived), .some(let previous)):
            var active = ActiveConnection(session: previous.session, heartbeatInterval: interval, now: now)
            guard case .replay(let missed) = active.session.outbound.resume(peerLastReceived: serverLastReceived) else {
                state = .closing(previous.session)
                return .close(.unexpected("server claims sequence \(serverLastReceived), only \(previous.session.outbound.lastSent) were sent"))
            }
            state = .active(active)
            return .established(response, replay: missed)
        case (.resumed, .none):
            return fail(.unexpected("resumed a session that was never asked for"))
        case (.new, .none):
            state = .active(ActiveConnection(session: ReliableSession(limits: configuration.replayLimits), heartbeatInterval: interval, now: now))
            return .established(response, replay: [])
        case (.failed(let reason), let previous):
            state = .active(ActiveConnection(session: ReliableSession(limits: configuration.replayLimits), heartbeatInterval: interval, now: now))
            let unacknowledged = previous?.session.outbound.entries.map(\.message) ?? []
            return .resumeFailed(response, reason: reason, unacknowledged: unacknowledged)
        case (.new, .some(let previous)):
            // A server that ignored the resume request: the old session is gone.
            state = .active(ActiveConnection(session: ReliableSession(limits: configuration.replayLimits), heartbeatInterval: interval, now: now))
            return .resumeFailed(response, reason: .unknownSession, unacknowledged: previous.session.outbound.entries.map(\.message))
        }
    }

    public mutating func decodeFailed(_ error: WireError) -> Violation {
        enterClosing()
        return Violation.malformed(error)
    }

    public enum TickAction: Equatable, Sendable {
        case none
        case send(CourierMessage)
        case close(Violation)
    }

    public mutating func tick(now: SessionInstant) -> TickAction {
        switch state {
        case .awaitingChallenge(let deadline, _), .awaitingResponse(let deadline, _):
            guard now >= deadline else { return .none }
            enterClosing()
            return .close(Violation(error: nil, close: Close(code: .handshakeTimeout, reason: "no handshake answer from the server")))
        case .active(var active):
            state = .closed  // see `received`
            let action = active.tick(now: now)
            state = .active(active)
            switch action {
            case .none: return .none
            case .send(let m): return .send(m)
            case .violation(let v):
                state = .closing(active.session)
                return .close(v)
            }
        case .closing, .closed:
            return .none
        }
    }

    public var nextWakeup: SessionInstant? {
        switch state {
        case .awaitingChallenge(let deadline, _), .awaitingResponse(let deadline, _): return deadline
        case .active(let active): return active.heartbeat.nextWakeup
        case .closing, .closed: return nil
        }
    }

    /// The application closes.
    public mutating func close(_ close: Close) -> Close? {
        switch state {
        case .closing, .closed: return nil
        default:
            enterClosing()
            return close
        }
    }

    /// The connection is gone: the reliable state to carry into the next connection.
    /// Before a handshake completes that is the previous connection's state.
    public mutating func connectionClosed() -> ReliableSession? {
        defer { state = .closed }
        switch state {
        case .awaitingChallenge(_, let previous), .awaitingResponse(_, let previous): return previous?.session
        case .active(let active): return active.session
        case .closing(let session): return session
        case .closed: return nil
        }
    }

    /// The Active connection, if the state is Active.
    public var activeConnection: ActiveConnection? {
        if case .active(let active) = state { return active }
        return nil
    }

    /// Runs `body` on the Active connection (nil in any other state).
    public mutating func modifyActive<Result>(_ body: (inout ActiveConnection) -> Result) -> Result? {
        guard case .active(var active) = state else { return nil }
        state = .closed  // see `received`
        defer { state = .active(active) }
        return body(&active)
    }

    mutating func fail(_ violation: Violation) -> ReceiveAction {
        enterClosing()
        return .close(violation)
    }

    mutating func enterClosing() {
        switch state {
        case .active(let active): state = .closing(active.session)
        case .awaitingChallenge(_, let previous), .awaitingResponse(_, let previous): state = .closing(previous?.session)
        case .closing, .closed: return
        }
    }
}
