import CourierSession
import CourierWire

/// How and why one connection ended, and the reliable state to carry into the next.
struct ConnectionEnd {
    /// The code of the Courier Close (sent or received) or, failing that, of the
    /// WebSocket close frame. Nil when the TCP connection was simply lost.
    var closeCode: CloseCode?
    var reason: String
    /// Close 1012/1013 with a retry hint.
    var retryHint: ReconnectBackoff.RetryHint?
    /// This side closed (a violation it detected, a timeout, or the application).
    var closedLocally: Bool
    /// The handshake completed on this connection.
    var wasEstablished: Bool
    /// An `Error` the server sent before the handshake completed (why it refused us).
    var handshakeError: ErrorMessage?
    /// A failure this side detected that the close code alone does not explain.
    var failure: CourierClientError?
    /// The session to resume on the next connection (nil if none was ever established).
    var session: ReliableSession?

    init(closeCode: CloseCode? = nil, reason: String = "", closedLocally: Bool = false) {
        self.closeCode = closeCode
        self.reason = reason
        self.closedLocally = closedLocally
        self.wasEstablished = false
    }

    /// Whether the client may reconnect after this (`docs/PROTOCOL.md` §9.1).
    var allowsReconnect: Bool { closeCode?.allowsReconnect ?? true }
}

/// What a `CourierConnectionHandler` reports to its owner. Every event happens on the
/// channel's event loop.
enum ConnectionHandlerEvent {
    /// The handshake completed; any replay has been queued for writing.
    case established(HandshakeResponse)
    /// The handshake completed with a new session: the old one could not be resumed.
    case resumeFailed(HandshakeResponse, reason: HandshakeResponse.ResumeFailure, unacknowledged: [CourierMessage])
    /// A message for the application (data, SubscribeResult), in order.
    case received(CourierMessage)
    /// The server granted send credit (§16.3): sends waiting for it may fit now.
    case creditGranted
    /// The server acknowledged everything up to `sequence`; the replay buffer has room.
    case acknowledged(through: UInt32)
    /// An `Error` from the server after the handshake.
    case peerError(ErrorMessage)
    /// The end of a read batch: a good moment to hand buffered messages on.
    case readComplete
    /// The channel closed. Always the last event.
    case ended(ConnectionEnd)
}

/// The owner of a connection handler (the client core, or a test).
protocol ConnectionHandlerDelegate: AnyObject {
    func connection(_ id: Int, _ event: ConnectionHandlerEvent)
}
