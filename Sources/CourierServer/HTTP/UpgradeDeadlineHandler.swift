import NIOCore

/// Closes a connection that has not completed its WebSocket upgrade in time (slow
/// or idle clients holding sockets open). Removed once the upgrade completes.
final class UpgradeDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let timeout: TimeAmount
    let onTimeout: @Sendable () -> Void
    private var task: Scheduled<Void>?

    init(timeout: TimeAmount, onTimeout: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let onTimeout = self.onTimeout
        task = context.eventLoop.scheduleTask(in: timeout) {
            onTimeout()
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }
}

@available(*, unavailable)
extension UpgradeDeadlineHandler: Sendable {}
