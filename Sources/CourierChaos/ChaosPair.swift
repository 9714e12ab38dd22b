#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One end of a proxied connection.
enum ChaosSide: Hashable, Sendable {
    /// The accepted connection (from the client).
    case client
    /// The connection the proxy made to the target.
    case server

    /// The direction of the bytes read on this side.
    var readDirection: ChaosDirection { self == .client ? .clientToServer : .serverToClient }
}

/// A proxied connection: both channels (on one event loop), the bytes waiting in each
/// direction, and the timers of its resets and black holes. The plan decides; this
/// performs.
final class ChaosPair {
    /// The bytes of one direction, read and not yet written.
    struct Lane {
        struct Pending {
            var bytes: ByteBuffer
            var at: Duration
            var readAt: Duration
        }

        var shaper: DirectionShaper
        var queue = CircularBuffer<Pending>()
        var queuedBytes = 0
        var timer: Scheduled<Void>?
        var timerAt: Duration?
        /// Whether the source side is being read.
        var reading = true
    }

    private var plan: ConnectionPlan
    private let context: ChaosProxy.Context
    private let client: any Channel
    private var server: (any Channel)?
    private var lanes: [ChaosDirection: Lane]
    private var hole: ConnectionPlan.BlackHole?
    private var timers: [Scheduled<Void>] = []
    /// A side saw a reset: the other side is reset too.
    private var resetByPeer = false
    private var finished = false

    init(plan: ConnectionPlan, client: any Channel, context: ChaosProxy.Context) {
        self.plan = plan
        self.client = client
        self.context = context
        self.lanes = [.clientToServer: Lane(shaper: plan.shaper(.clientToServer)), .serverToClient: Lane(shaper: plan.shaper(.serverToClient))]
    }

    private var bound: NIOLoopBound<ChaosPair> { NIOLoopBound(self, eventLoop: client.eventLoop) }

    /// The target connection is up: start reading both sides and arm the plan's timers.
    func begin(server: any Channel) {
        guard !finished else {
            server.close(promise: nil)
            return
        }
        self.server = server
        if let resetAt = plan.resetAt {
            schedule(at: resetAt, fault: true) { $0.reset(outage: false, planned: true) }
        }
        armNextHole(after: plan.openedAt)
        client.setOption(.autoRead, value: true).whenFailure { _ in }
        server.setOption(.autoRead, value: true).whenFailure { _ in }
    }

    // MARK: Bytes

    func received(_ buffer: ByteBuffer, from side: ChaosSide) {
        guard !finished else { return }
        let direction = side.readDirection
        let now = context.elapsed
        var buffer = buffer
        let count = buffer.readableBytes
        context.update { report in
            if direction == .clientToServer { report.bytesClientToServer += count } else { report.bytesServerToClient += count }
        }
        var lane = lanes[direction]!
        for delivery in lane.shaper.plan(bytes: count, at: now) {
            guard let slice = buffer.readSlice(length: delivery.bytes) else { break }
            lane.queue.append(.init(bytes: slice, at: delivery.at, readAt: now))
        }
        lane.queuedBytes += count
        lanes[direction] = lane
        drain(direction)
    }

    /// Writes what is due in `direction` (nothing while a black hole holds it), arms a
    /// timer for the rest, and pauses or resumes reading the source side.
    private func drain(_ direction: ChaosDirection) {
        guard !finished, var lane = lanes[direction] else { return }
        let target = direction == .clientToServer ? server : client
        let held = hole?.directions.includes(direction) ?? false
        if let target, !held, !lane.queue.isEmpty {
            let now = context.elapsed
            let chunked = lane.shaper.shaping.maxChunkBytes > 0
            var chunks = 0
            var delayed = 0
            var totalDelay = Duration.zero
            var maxDelay = Duration.zero
            var pendingFlush = false
            while let head = lane.queue.first, head.at <= now {
                lane.queue.removeFirst()
                lane.queuedBytes -= head.bytes.readableBytes
                target.write(head.bytes, promise: nil)
                pendingFlush = true
                if chunked {
                    target.flush()
                    pendingFlush = false
                }
                chunks += 1
                let delay = head.at - head.readAt
                if delay > .zero {
                    delayed += 1
                    totalDelay += delay
                    maxDelay = max(maxDelay, delay)
                }
            }
            if pendingFlush { target.flush() }
            if chunks > 0 {
                context.update { report in
                    report.chunks += chunks
                    report.delayedChunks += delayed
                    report.totalDelay += totalDelay
                    report.maxDelay = max(report.maxDelay, maxDelay)
                }
            }
            if let head = lane.queue.first, lane.timerAt.map({ $0 > head.at }) ?? true {
                lane.timer?.cancel()
                lane.timerAt = head.at
                let bound = self.bound
                lane.timer = client.eventLoop.scheduleTask(deadline: context.deadline(head.at)) {
                    let pair = bound.value
                    pair.lanes[direction]?.timer = nil
                    pair.lanes[direction]?.timerAt = nil
                    pair.drain(direction)
                }
            }
        }
        let source = direction == .clientToServer ? client : server
        let shouldRead = lane.queuedBytes <= context.maxBufferedBytes && (target?.isWritable ?? true)
        if shouldRead != lane.reading, let source {
            lane.reading = shouldRead
            source.setOption(.autoRead, value: shouldRead).whenFailure { _ in }
        }
        lanes[direction] = lane
    }

    func writabilityChanged(_ side: ChaosSide) {
        // Writes toward `side` carry the bytes read on the other side.
        drain(side == .client ? .serverToClient : .clientToServer)
    }

    // MARK: Black holes

    private func armNextHole(after from: Duration) {
        guard let next = plan.nextBlackHole(after: from) else { return }
        schedule(at: next.start, fault: true) { $0.startHole(next) }
    }

    private func startHole(_ next: ConnectionPlan.BlackHole) {
        hole = next
        context.update { $0.blackHoles += 1 }
        if let end = next.end {
            schedule(at: end, fault: false) { pair in
                pair.hole = nil
                pair.drain(.clientToServer)
                pair.drain(.serverToClient)
                pair.armNextHole(after: end)
            }
        }
    }

    // MARK: Ending

    /// Resets both sides (SO_LINGER 0: an RST, what is in flight is lost).
    func reset(outage: Bool, planned: Bool = false) {
        guard !finished else { return }
        context.update { report in
            if planned { report.resets += 1 }
            if outage { report.outageResets += 1 }
        }
        resetByPeer = true
        finish()
    }

    /// One end closed (a FIN): like TCP, what it sent before closing still reaches the
    /// other end (unless a black hole holds it), then the other end is closed too.
    func inactive(_ side: ChaosSide) {
        guard !finished else { return }
        if let hole {
            let after = context.elapsed - hole.start
            context.update { $0.recordDetection(.init(after: after, by: side == .client ? .client : .server)) }
        }
        let direction = side.readDirection
        let other = side == .client ? server : client
        if !resetByPeer, let other, !(hole?.directions.includes(direction) ?? false), var lane = lanes[direction], !lane.queue.isEmpty {
            var rest = other.allocator.buffer(capacity: lane.queuedBytes)
            while var pending = lane.queue.popFirst() { rest.writeBuffer(&pending.bytes) }
            lane.queuedBytes = 0
            lanes[direction] = lane
            finish(except: other)
            other.writeAndFlush(rest).whenComplete { _ in other.close(promise: nil) }
            return
        }
        finish()
    }

    func failed(_ side: ChaosSide, _ error: any Error) {
        if let error = error as? IOError, [ECONNRESET, EPIPE].contains(error.errnoCode) { resetByPeer = true }
        (side == .client ? client : server)?.close(promise: nil)
    }

    /// Ends the pair and closes both channels, but `except` (the caller closes it).
    private func finish(except spared: (any Channel)? = nil) {
        finished = true
        for timer in timers { timer.cancel() }
        for lane in lanes.values { lane.timer?.cancel() }
        lanes.removeAll()
        let index = plan.index
        context.shared.withLockedValue { _ = $0.pairs.removeValue(forKey: index) }
        for channel in [client, server].compactMap({ $0 }) where channel !== spared {
            if resetByPeer {
                Self.setReset(channel).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
    }

    /// Runs `body` at `at` unless the pair has ended, or, for a `fault`, unless the
    /// proxy's faults are off by then.
    private func schedule(at: Duration, fault: Bool, _ body: @escaping (ChaosPair) -> Void) {
        let bound = self.bound
        let task = client.eventLoop.assumeIsolated().scheduleTask(deadline: context.deadline(at)) {
            let pair = bound.value
            guard !pair.finished, !(fault && pair.context.faultsOff) else { return }
            body(pair)
        }
        timers.append(task)
    }

    /// SO_LINGER 0: closing sends a TCP reset instead of a FIN.
    static func setReset(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
        return provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
    }
}

/// Hands one side's reads, end and writability to its pair.
final class ChaosSideHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let pair: NIOLoopBound<ChaosPair>
    let side: ChaosSide

    init(pair: NIOLoopBound<ChaosPair>, side: ChaosSide) {
        self.pair = pair
        self.side = side
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pair.value.received(unwrapInboundIn(data), from: side)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pair.value.inactive(side)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pair.value.writabilityChanged(side)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pair.value.failed(side, error)
    }
}
