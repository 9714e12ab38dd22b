import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket upgrade of the Courier port. NIO's `NIOWebSocketServerUpgrader` checks
/// the request and builds the 101 response (`Sec-WebSocket-Accept`); the echo endpoint
/// is upgraded by it as it is. A Courier connection gets its `ServerConnectionHandler`
/// and none of NIO's frame codec: the handler parses frames from the socket's bytes
/// itself (`InboundFrameParser`) and frames what it writes (`OutboundFrame`).
///
/// Why here and not by removing NIO's decoder afterwards: its removal finishes in a
/// later task, and bytes the client sent right behind the upgrade request reach the
/// pipeline before that, so they would be decoded by the wrong handler.
final class CourierWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    private let inner: NIOWebSocketServerUpgrader
    private let isCourier: @Sendable (HTTPRequestHead) -> Bool
    /// Adds the Courier handler to an upgraded channel's pipeline.
    private let courierPipeline: @Sendable (any Channel, HTTPRequestHead) throws -> Void

    /// - Parameters:
    ///   - inner: checks requests, answers them, and upgrades everything but Courier.
    ///   - isCourier: whether a request (accepted by `inner`) is for the Courier endpoint.
    init(
        inner: NIOWebSocketServerUpgrader, isCourier: @escaping @Sendable (HTTPRequestHead) -> Bool,
        courierPipeline: @escaping @Sendable (any Channel, HTTPRequestHead) throws -> Void
    ) {
        self.inner = inner
        self.isCourier = isCourier
        self.courierPipeline = courierPipeline
    }

    var supportedProtocol: String { inner.supportedProtocol }
    var requiredUpgradeHeaders: [String] { inner.requiredUpgradeHeaders }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        inner.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        guard isCourier(upgradeRequest) else { return inner.upgrade(context: context, upgradeRequest: upgradeRequest) }
        let channel = context.channel
        return channel.eventLoop.makeCompletedFuture {
            try courierPipeline(channel, upgradeRequest)
        }
    }
}
