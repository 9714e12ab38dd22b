import CourierWire
import NIOCore
import NIOWebSocket

/// A plain RFC 6455 echo endpoint (off by default; `--echo-path`), so standard
/// WebSocket conformance tools can exercise the WebSocket layer: text messages must
/// be UTF-8 (else 1007), reserved bits and opcodes are refused (1002), close codes
/// are validated and echoed. Fragmentation is reassembled by the aggregator in front.
final class EchoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else { return }
        guard frame.rsv1 == false, frame.rsv2 == false, frame.rsv3 == false else {
            return close(context, code: 1002, reason: "reserved bits set")
        }
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            guard UTF8Validation.firstInvalidIndex(payload) == nil else {
                return close(context, code: 1007, reason: "text message is not UTF-8")
            }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: payload)), promise: nil)
        case .binary:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var payload = frame.unmaskedData
            switch payload.readableBytes {
            case 0:
                return close(context, code: nil, reason: "")
            case 1:
                return close(context, code: 1002, reason: "close frame with a 1-byte payload")
            default:
                let code = payload.readInteger(as: UInt16.self) ?? 1002
                guard Self.isValidCloseCode(code) else { return close(context, code: 1002, reason: "invalid close code \(code)") }
                guard UTF8Validation.firstInvalidIndex(payload) == nil else { return close(context, code: 1007, reason: "close reason is not UTF-8") }
                return close(context, code: code, reason: "")
            }
        default:
            close(context, code: 1002, reason: "unknown opcode")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let aggregation = error as? NIOWebSocketFrameAggregator.Error {
            return close(context, code: aggregation == .accumulatedFrameSizeIsTooLarge ? 1009 : 1002, reason: "\(aggregation)")
        }
        context.close(promise: nil)
    }

    /// RFC 6455 §7.4: codes a peer may send.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011: return true
        case 3000...4999: return true
        default: return false
        }
    }

    private func close(_ context: ChannelHandlerContext, code: UInt16?, reason: String) {
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            data.writeInteger(code)
            data.writeString(reason)
        }
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension EchoHandler: Sendable {}
