import CourierWire
import NIOCore

/// How the rest of the server reaches the connection a session is attached to: every
/// call hops onto that connection's event loop, where its handler owns the session.
/// A class, so the many copies fan-out makes are one reference each.
final class ConnectionMailbox: Sendable {
    let connectionID: UInt64
    let eventLoop: any EventLoop
    /// Runs on `eventLoop`: queue data messages for the client.
    let deliver: @Sendable (DeliveryRun) -> Void
    /// Runs on `eventLoop` after a batch of `deliver` calls: write what they produced.
    let endOfDeliveries: @Sendable () -> Void
    /// Runs on `eventLoop`: close with `code` and hand the session back to the
    /// registry (another connection is resuming it). Succeeds once it is detached.
    let handOver: @Sendable (CloseCode) -> EventLoopFuture<Void>

    init(
        connectionID: UInt64, eventLoop: any EventLoop,
        deliver: @escaping @Sendable (DeliveryRun) -> Void,
        endOfDeliveries: @escaping @Sendable () -> Void,
        handOver: @escaping @Sendable (CloseCode) -> EventLoopFuture<Void>
    ) {
        self.connectionID = connectionID
        self.eventLoop = eventLoop
        self.deliver = deliver
        self.endOfDeliveries = endOfDeliveries
        self.handOver = handOver
    }
}
