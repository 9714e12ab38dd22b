import CourierWire
import NIOCore

/// One server-side connection (`docs/PROTOCOL.md` §10): Handshaking
/// (awaiting the Handshake, then authenticating) → Active → Closing → Closed.
///
/// The state machine decides and the channel handler acts: every event returns what
/// to do. It performs no I/O and reads no clock; authentication (crypto) and session
/// lookup happen outside and come back as events.
public struct ServerConnectionStateMachine: ActiveConnectionHolder, Sendable {
    public struct Configuration: Hashable, Sendable {
        public var version: ProtocolVersion
        public var handshakeTimeout: Duration
        public var heartbeatInterval: Duration

        public init(version: ProtocolVersion, handshakeTimeout: Duration = .seconds(10), heartbeatInterval: Duration = .seconds(15)) {
            self.version = version
            self.handshakeTimeout = handshakeTimeout
            self.heartbeatInterval = heartbeatInterval
        }
    }

    enum State: Sendable {
        case awaitingHandshake(deadline: SessionInstant)
        case authenticating(deadline: SessionInstant)
        /// The Active connection's state is `active` (kept outside the enum).
        case active
        /// Closing keeps the session (if any) so it can still be resumed.
        case closing(ReliableSession?)
        case closed
    }

    public enum ReceiveAction: Equatable, Sendable {
        case none
        /// Verify this Handshake, then call `authenticated` or `authenticationFailed`.
        case authenticate(Handshake)
        case deliver(CourierMessage)
        case send(CourierMessage)
        case acknowledged(released: Int)
        /// The peer closed: answer with a WebSocket close frame and close.
        case peerClosed(Close)
        case peerError(ErrorMessage)
        /// Send the Error (if any) and the Close, then close.
        case close(Violation)
    }

    public let configuration: Configuration
    private(set) var state: State
    /// The Active connection, kept beside `state` rather than inside it so that every
    /// message mutates it in place (an enum payload would be copied out and back: its
    /// buffers retained, released and moved per message). Non-nil exactly while Active.
    private var active: ActiveConnection?

    public init(configuration: Configuration, now: SessionInstant) {
        self.configuration = configuration
        self.state = .awaitingHandshake(deadline: now + configuration.handshakeTimeout)
    }

    /// The first message of the connection.
    public func challenge(nonce: [UInt8], authMethods: Challenge.AuthMethods) -> CourierMessage {
        CourierMessage(body: .challenge(Challenge(
            nonce: ByteBuffer(bytes: nonce), minVersion: ProtocolVersion.supported.lowerBound, maxVersion: ProtocolVersion.supported.upperBound,
            authMethods: authMethods, deadlineMillis: UInt32(clamping: configuration.handshakeTimeout.milliseconds)
        )))
    }

    public var isActive: Bool { if case .active = state { return true } else { return false } }

    public mutating func received(_ message: consuming CourierMessage, now: SessionInstant) -> ReceiveAction {
        switch state {
        case .awaitingHandshake(let deadline):
            guard case .handshake(let handshake) = message.body else {
                return fail(.unexpected("\(message.type.name) before the Handshake"))
            }
            let version = configuration.version.rawValue
            guard handshake.minVersion <= version && version <= handshake.maxVersion else {
                let text = "connection speaks v\(version), client supports \(handshake.minVersion)...\(handshake.maxVersion)"
                return fail(Violation(
                    error: ErrorMessage(code: .unsupportedVersion, message: text),
                    close: Close(code: .unsupportedVersion, reason: Violation.truncate(text, FieldLimits.closeReason))
                ))
            }
            state = .authenticating(deadline: deadline)
            return .authenticate(handshake)
        case .authenticating:
            return fail(.unexpected("\(message.type.name) before the HandshakeResponse"))
        case .active:
            let event = active!.received(message, now: now)
            switch event {
            case .none, .duplicate: return .none
            case .deliver(let m): return .deliver(m)
            case .send(let m): return .send(m)
            case .acknowledged(let n): return .acknowledged(released: n)
            case .peerClosed(let close):
                enterClosing()
                return .peerClosed(close)
            case .peerError(let e): return .peerError(e)
            case .violation(let v): return fail(v)
            }
        case .closing, .closed:
            return .none
        }
    }

    /// A message failed to decode.
    public mutating func decodeFailed(_ error: WireError) -> Violation {
        let violation = Violation.malformed(error)
        enterClosing()
        return violation
    }

    public mutating func authenticationFailed(code: ErrorCode, reason: String) -> Violation? {
        guard case .authenticating = state else { return nil }
        state = .closing(nil)
        return Violation(
            error: ErrorMessage(code: code, message: Violation.truncate(reason, FieldLimits.errorMessage)),
            close: Close(code: .authenticationFailed, reason: Violation.truncate("authentication failed: \(code.name)", FieldLimits.closeReason))
        )
    }

    /// Authentication succeeded and the session is settled (new, resumed or failed
    /// resume). Returns what to send: the HandshakeResponse, then (on resume) every
    /// message the client missed. Nil when the connection is no longer handshaking.
    public mutating func authenticated(
        session: ReliableSession, response: HandshakeResponse, clientLastReceived: UInt32?, now: SessionInstant
    ) -> Result<[CourierMessage], Violation>? {
        guard case .authenticating = state else { return nil }
        var active = ActiveConnection(session: session, heartbeatInterval: configuration.heartbeatInterval, now: now)
        var messages = [CourierMessage(body: .handshakeResponse(response))]
        if case .resumed = response.resume, let clientLastReceived {
            switch active.session.outbound.resume(peerLastReceived: clientLastReceived) {
            case .replay(let missed): messages += missed
            case .invalid:
                state = .closing(active.session)
                return .failure(.unexpected("resume claims sequence \(clientLastReceived), only \(active.session.outbound.lastSent) were sent"))
            }
        }
        state = .active
        self.active = active
        return .success(messages)
    }

    public enum TickAction: Equatable, Sendable {
        case none
        case send(CourierMessage)
        case close(Violation)
    }

    /// Timers: the handshake deadline and heartbeats.
    public mutating func tick(now: SessionInstant) -> TickAction {
        switch state {
        case .awaitingHandshake(let deadline), .authenticating(let deadline):
            guard now >= deadline else { return .none }
            state = .closing(nil)
            let text = "no valid Handshake within \(configuration.handshakeTimeout.milliseconds) ms"
            return .close(Violation(
                error: ErrorMessage(code: .handshakeTimeout, message: text),
                close: Close(code: .handshakeTimeout, reason: text)
            ))
        case .active:
            switch active!.tick(now: now) {
            case .none: return .none
            case .send(let m): return .send(m)
            case .violation(let v):
                enterClosing()
                return .close(v)
            }
        case .closing, .closed:
            return .none
        }
    }

    /// When `tick` should next be called.
    public var nextWakeup: SessionInstant? {
        switch state {
        case .awaitingHandshake(let deadline), .authenticating(let deadline): return deadline
        case .active: return active?.heartbeat.nextWakeup
        case .closing, .closed: return nil
        }
    }

    /// The server closes on its own (shutdown, drain, slow consumer).
    public mutating func close(_ close: Close) -> Close? {
        switch state {
        case .closing, .closed: return nil
        default:
            enterClosing()
            return close
        }
    }

    /// The TCP connection is gone. Returns the session's reliable state (if the
    /// connection had one) so it can wait for a resume.
    public mutating func connectionClosed() -> ReliableSession? {
        defer {
            state = .closed
            active = nil
        }
        switch state {
        case .active: return active?.session
        case .closing(let session): return session
        default: return nil
        }
    }

    /// The Active connection (a copy, for inspection), if the state is Active.
    public var activeConnection: ActiveConnection? { active }

    /// The round-trip time the last pong measured, while Active (read in place).
    public var lastRoundTrip: Duration? { active?.heartbeat.lastRoundTrip }

    /// Runs `body` on the Active connection, in place (nil in any other state).
    public mutating func modifyActive<Result>(_ body: (inout ActiveConnection) -> Result) -> Result? {
        guard active != nil else { return nil }
        return body(&active!)
    }

    mutating func fail(_ violation: Violation) -> ReceiveAction {
        enterClosing()
        return .close(violation)
    }

    /// Moves to Closing, keeping the session of an Active connection.
    mutating func enterClosing() {
        if case .active = state {
            state = .closing(active?.session)
            active = nil
        } else if case .closing = state {
            return
        } else {
            state = .closing(nil)
        }
    }
}
