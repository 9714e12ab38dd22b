import CourierWire

/// What both sides do in the Active state (`docs/PROTOCOL.md` §10, §12, §13):
/// heartbeats, acknowledgements, in-order delivery with duplicate suppression.
/// The client and server state machines embed it.
public struct ActiveConnection: Sendable {
    public enum Event: Equatable, Sendable {
        case none
        /// Hand to the application (or router). Reliable messages carry their resolved sequence.
        case deliver(CourierMessage)
        /// Send this control message now (a pong).
        case send(CourierMessage)
        /// A duplicate from a replay, dropped (it will be acknowledged again).
        case duplicate(UInt32)
        /// Our replay buffer released `released` messages.
        case acknowledged(released: Int)
        case peerClosed(Close)
        case peerError(ErrorMessage)
        case violation(Violation)
    }

    public var session: ReliableSession
    public var heartbeat: HeartbeatState
    private var resolver = SequenceResolver()

    public init(session: ReliableSession, heartbeatInterval: Duration, now: SessionInstant) {
        self.session = session
        self.heartbeat = HeartbeatState(interval: heartbeatInterval, now: now)
    }

    public mutating func received(_ message: consuming CourierMessage, now: SessionInstant) -> Event {
        heartbeat.received(now: now)
        switch message.body {
        case .textData, .binaryData, .deltaUpdate:
            guard message.header.isReliable else { return .deliver(message) }
            switch resolver.resolve(message.header) {
            case .unreliable: return .deliver(message)
            case .noPrevious: return .violation(.unexpected("implicit sequence with no earlier reliable message on this connection"))
            case .sequence(let sequence):
                switch session.inbound.receive(sequence) {
                case .deliver:
                    var delivered = message
                    delivered.header.sequence = sequence
                    return .deliver(delivered)
                case .duplicate:
                    return .duplicate(sequence)
                case .gap(let expected, let got):
                    return .violation(.unexpected("sequence gap: expected \(expected), got \(got)"))
                }
            }
        case .acknowledge(let ack):
            switch session.outbound.acknowledge(ack.sequence) {
            case .accepted(let released): return .acknowledged(released: released)
            case .invalid: return .violation(.unexpected("acknowledge of \(ack.sequence), but only \(session.outbound.lastSent) were sent"))
            }
        case .heartbeat(let beat):
            switch beat.kind {
            case .ping:
                return .send(CourierMessage(body: .heartbeat(Heartbeat(kind: .pong, value: beat.value))))
            case .pong:
                heartbeat.receivedPong(value: beat.value, now: now)
                return .none
            }
        case .close(let close):
            return .peerClosed(close)
        case .error(let error):
            return .peerError(error)
        case .windowUpdate, .subscribe, .unsubscribe, .subscribeResult, .snapshotRequest:
            return .deliver(message)
        case .handshake, .handshakeResponse, .challenge:
            return .violation(.unexpected("\(message.type.name) after the handshake"))
        }
    }

    /// The acknowledgement to send at the end of a read batch, if one is owed.
    public mutating func takeAcknowledgement() -> CourierMessage? {
        session.inbound.takeAcknowledgement().map { CourierMessage(body: .acknowledge(Acknowledge(sequence: $0))) }
    }

    public enum SendResult: Equatable, Sendable {
        case send(CourierMessage)
        /// The replay buffer is full; nothing was sent.
        case bufferFull
    }

    /// Numbers a reliable message (keeping it for replay) or passes an unreliable one.
    public mutating func send(_ message: CourierMessage, reliable: Bool, bytes: Int) -> SendResult {
        guard reliable else { return .send(message) }
        var numbered = message
        switch session.outbound.assign(&numbered, bytes: bytes) {
        case .assigned: return .send(numbered)
        case .bufferFull: return .bufferFull
        }
    }

    public enum TickAction: Equatable, Sendable {
        case none
        case send(CourierMessage)
        case violation(Violation)
    }

    public mutating func tick(now: SessionInstant) -> TickAction {
        switch heartbeat.tick(now: now) {
        case .none: return .none
        case .sendPing(let value): return .send(CourierMessage(body: .heartbeat(Heartbeat(kind: .ping, value: value))))
        case .peerDead(let silence):
            return .violation(Violation(
                error: nil,
                close: Close(code: .heartbeatTimeout, reason: "nothing received for \(silence.milliseconds) ms")
            ))
        }
    }
}
