import CourierCompression
import NIOCore

/// Writes out, at the end of the current event-loop tick, every connection of one
/// event loop that produced output during it: one task per loop and tick instead of
/// one per connection, so a fan-out to thousands of connections costs one scheduled
/// task, and each connection one write and one flush however many deliveries it got.
/// It also keeps one spare write buffer for the loop's connections. Touched only on
/// its event loop.
final class TickFlusher: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var pending: [ServerConnectionHandler] = []
    private var scheduled = false
    /// A small write buffer the last connection to write on this loop gave back, for the
    /// next one (its storage is reused once the socket has written it).
    private var spare: ByteBuffer?
    /// The loop's zlib inflate stream, made on first use (§20.2: 0 bytes per connection).
    private var loopDecompressor: MessageDecompressor?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        pending.reserveCapacity(1_024)
    }

    /// `handler` has output to write before this tick ends (it registers once per tick).
    func register(_ handler: ServerConnectionHandler) {
        eventLoop.preconditionInEventLoop()
        pending.append(handler)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.execute { self.run() }
    }

    func decompressor() throws -> MessageDecompressor {
        if let loopDecompressor { return loopDecompressor }
        let made = try MessageDecompressor()
        loopDecompressor = made
        return made
    }

    func takeSpareBuffer() -> ByteBuffer? {
        defer { spare = nil }
        return spare
    }

    func keepSpareBuffer(_ buffer: ByteBuffer) {
        spare = buffer
    }

    private func run() {
        scheduled = false
        // Handlers registering again while this runs go to the next task.
        let handlers = pending
        pending.removeAll(keepingCapacity: true)
        for handler in handlers { handler.tickEnded() }
    }
}
