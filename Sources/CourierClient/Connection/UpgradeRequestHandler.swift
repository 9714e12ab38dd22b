import NIOCore
import NIOHTTP1

/// Sends the WebSocket upgrade request once the TCP connection is up, and reports
/// anything but a successful upgrade: a non-101 answer (with the start of its body,
/// which names the supported subprotocols on a 400), an HTTP error, or the connection
/// closing before the upgrade (`docs/PROTOCOL.md` §1.1). Removed from the pipeline
/// by the upgrade.
final class UpgradeRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    static let maxReportedBody = 512

    private let request: HTTPRequestHead
    private let onFailure: (CourierClientError) -> Void
    private let onInactive: () -> Void
    private var requestSent = false
    private var rejection: (status: HTTPResponseStatus, body: ByteBuffer)?

    init(request: HTTPRequestHead, onFailure: @escaping (CourierClientError) -> Void, onInactive: @escaping () -> Void) {
        self.request = request
        self.onFailure = onFailure
        self.onInactive = onInactive
    }

    /// The upgrade request: `GET path` with `Host`, the offered subprotocols and the
    /// origin; the upgrader adds `Upgrade`, `Connection` and the WebSocket key.
    static func makeRequest(_ configuration: CourierClient.Configuration) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: configuration.hostHeader)
        headers.add(name: "Sec-WebSocket-Protocol", value: configuration.offeredSubprotocols)
        if let origin = configuration.origin { headers.add(name: "Origin", value: origin) }
        headers.add(name: "Content-Length", value: "0")
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: configuration.path, headers: headers)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent else { return }
        requestSent = true
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Only a refused upgrade gets here: a 101 is consumed by the upgrade handler.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            rejection = (head.status, context.channel.allocator.buffer(capacity: 0))
        case .body(var chunk):
            guard var current = rejection else { return }
            let room = Self.maxReportedBody - current.body.readableBytes
            if room > 0, let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                current.body.writeImmutableBuffer(slice)
                rejection = current
            }
        case .end:
            guard let rejection else { return }
            let body = trimmed(String(buffer: rejection.body))
            let reason = body.isEmpty ? rejection.status.reasonPhrase : body
            onFailure(.upgradeRejected(status: Int(rejection.status.code), reason: reason))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls = TLSContextFactory.describe(error) {
            onFailure(.tlsFailed(tls))
        } else if let upgradeError = error as? NIOHTTPClientUpgradeError {
            onFailure(.upgradeRejected(status: 101, reason: "invalid upgrade response (\(upgradeError))"))
        } else {
            onFailure(.connectionFailed("\(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onInactive()
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension UpgradeRequestHandler: Sendable {}

private func trimmed(_ text: String) -> String {
    var text = Substring(text)
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return String(text)
}
