import CourierWire
import Logging
import NIOCore
import NIOHTTP1

/// Answers every request that was not upgraded: 426 for plain HTTP, 400 for a
/// missing or unknown subprotocol, 403 for a refused origin, 404 for another path.
/// The body says why; the connection is then closed.
final class HTTPRejectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    /// Refuse every request with this status and reason (e.g. 429 for an address over its limits).
    let forced: (HTTPResponseStatus, String)?
    private var head: HTTPRequestHead?

    init(configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger, forced: (HTTPResponseStatus, String)? = nil) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.forced = forced
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, to: head)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        var (status, reason): (HTTPResponseStatus, String)
        switch UpgradeDecision.decide(head, configuration: configuration) {
        case .reject(let s, let r): (status, reason) = (s, r)
        case .courier, .echo: (status, reason) = (.badRequest, "invalid WebSocket upgrade request (check Sec-WebSocket-Key and Sec-WebSocket-Version: 13)")
        }
        if let forced { (status, reason) = forced }
        // The path only: a query string may carry a credential (browsers cannot set headers on a WebSocket).
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        logger.info("HTTP request refused", metadata: ["status": "\(status.code)", "reason": "\(reason)", "path": "\(path)"])
        metrics.rejected("http_\(status.code)")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(reason.utf8.count + 1))
        headers.add(name: "Connection", value: "close")
        if status == .tooManyRequests { headers.add(name: "Retry-After", value: "1") }
        if status == .upgradeRequired {
            headers.add(name: "Upgrade", value: "websocket")
            headers.add(name: "Sec-WebSocket-Protocol", value: configuration.versions.map(\.subprotocol).joined(separator: ", "))
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reason + "\n")))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension HTTPRejectionHandler: Sendable {}
