import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Sits right after `NIOSSLServerHandler` until the TLS handshake completes: a
/// failed handshake (a plain `ws://` client, an untrusting client that aborts, bytes
/// that are not TLS) is counted and logged once, then the connection closes (NIOSSL
/// closes it). Removes itself after a successful handshake, so established
/// connections pay nothing for it.
final class TLSHandshakeMonitor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let metrics: ServerMetrics
    private let logger: Logger
    private let address: String?
    private var reported = false

    init(metrics: ServerMetrics, logger: Logger, address: String?) {
        self.metrics = metrics
        self.logger = logger
        self.address = address
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !reported {
            reported = true
            metrics.rejected("tls_handshake")
            logger.debug("TLS handshake failed", metadata: ["address": "\(address ?? "unknown")", "error": "\(error)"])
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TLSHandshakeMonitor: Sendable {}
