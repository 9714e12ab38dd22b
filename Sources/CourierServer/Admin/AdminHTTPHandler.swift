import CourierSession
import NIOCore
import NIOHTTP1

/// One admin request per connection: answers it, then closes. The connection is cut
/// `timeout` after it opened, answered or not, so a slow client holds nothing for long.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let routes: AdminRoutes
    let timeout: Duration
    private var request: HTTPRequestHead?
    private var answered = false
    private var deadline: Scheduled<Void>?

    init(routes: AdminRoutes, timeout: Duration) {
        self.routes = routes
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            bound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // GET has none; the byte limit below the decoder bounds a sender that tries
        case .end:
            guard let head = request, !answered else { return }
            answered = true
            respond(routes.respond(method: head.method, uri: head.uri), version: head.version, context: context)
        }
    }

    private func respond(_ response: AdminRoutes.Response, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        if let allow = response.allow { headers.add(name: "Allow", value: allow) }
        let head = HTTPResponseHead(version: version.major == 1 ? version : .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request NIO's decoder could not parse: 400 if nothing was sent yet, then close.
        guard !answered else { return context.close(promise: nil) }
        answered = true
        respond(AdminRoutes.text(.badRequest, "bad request\n"), version: .http1_1, context: context)
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}

/// Sits below the HTTP decoder: a connection that sends more than `maxBytes` (an
/// oversized head, a body on a GET) gets 431 and is closed.
final class AdminRequestLimiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let maxBytes: Int
    private var received = 0
    private var refused = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        received += unwrapInboundIn(data).readableBytes
        guard received > maxBytes else { return context.fireChannelRead(data) }
        refused = true
        let text = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text))).whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension AdminRequestLimiter: Sendable {}
