import CourierWire
import NIOCore

/// How the rest of the server reaches the connection a session is attached to: every
/// call hops onto that connection's event loop, where its handler owns the session.
struct ConnectionMailbox: Sendable {
    let connectionID: UInt64
    let eventLoop: any EventLoop
    /// Runs on `eventLoop`: send a data message to the client.
    let deliver: @Sendable (CourierMessage, _ reliable: Bool, _ bytes: Int) -> Void
    /// Runs on `eventLoop`: close with `code` and hand the session back to the
    /// registry (another connection is resuming it). Succeeds once it is detached.
    let handOver: @Sendable (CloseCode) -> EventLoopFuture<Void>
}
