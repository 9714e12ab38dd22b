import CourierCompression
import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOSSL

/// All mutable client state, on one event loop (the client loop). The public
/// `CourierClient` hops here for every operation; connection handlers report here.
///
/// A session spans connections: between connections the core keeps the reliable
/// state (`carriedSession`) and the resume `ticket`; during a connection the handler's
/// state machine owns the reliable state and hands it back when the connection ends.
final class ClientCore {
    /// One connection attempt, from TCP connect to the channel closing.
    final class Attempt {
        let id: Int
        var channel: (any Channel)?
        var requestHandler: UpgradeRequestHandler?
        var handler: CourierConnectionHandler?
        /// The first failure seen that the close code does not explain.
        var failure: CourierClientError?
        var upgradeTimer: Scheduled<Void>?
        var established = false

        init(id: Int) { self.id = id }
    }

    enum Phase {
        /// `connect()` not called yet (or the first connection failed).
        case idle
        /// Connecting, upgrading or handshaking.
        case connecting(Attempt)
        /// The handshake completed on this attempt's connection.
        case active(Attempt)
        /// Waiting before the next reconnect attempt.
        case waiting(Scheduled<Void>)
        /// `close()` was called; waiting for the connection (if any) to end.
        case closing(Attempt?)
        case closed
    }

    struct PendingSend {
        var message: CourierMessage
        var reliable: Bool
        var bytes: Int
        var promise: EventLoopPromise<Void>
        var awaitAcknowledgement: Bool
        /// Whether compressing it was considered (once, when it is first about to go).
        var compressionDecided = false
    }

    /// A message handed to the consumer of `messages`: whose receive window to return
    /// its credit to once it is taken (§16.3).
    struct Charge {
        /// The attempt whose connection counted it; nil when flow control was off.
        var attemptID: Int?
        var bytes: Int
    }

    struct AckWaiter {
        var sequence: UInt32
        var promise: EventLoopPromise<Void>
    }

    struct SubscribeWaiter {
        var pattern: String
        var promise: EventLoopPromise<Subscription>
        /// The Subscribe was written on the current connection.
        var sent = false
    }

    let configuration: CourierClient.Configuration
    let loop: any EventLoop
    let logger: Logger
    var random: any RandomNumberGenerator
    let messageSource: CourierClient.Messages.Source
    let events: AsyncStream<ConnectionEvent>.Continuation
    /// Set when the client finishes, so the message sequence's end needs no loop hop.
    let ended: ClientEnded

    var phase: Phase = .idle
    var lastAttemptID = 0
    var backoff: ReconnectBackoff
    /// The session's reliable state while no connection holds it.
    var carriedSession: ReliableSession?
    var ticket: ClientConnectionStateMachine.Ticket?
    /// Set while the first `connect()` waits.
    var connectPromise: EventLoopPromise<Void>?
    var closePromises: [EventLoopPromise<Void>] = []
    /// Data sends waiting for an Active connection, for room in the replay buffer or
    /// for send credit (§16.3), in order.
    var pendingSends = CircularBuffer<PendingSend>()
    /// Subscribe and Unsubscribe waiting for an Active connection, in order. They need
    /// no credit, so they never wait behind data.
    var pendingRequests = CircularBuffer<PendingSend>()
    /// `sendAcknowledged` calls waiting for the server's cumulative acknowledgement, in
    /// sequence order.
    var ackWaiters = CircularBuffer<AckWaiter>()
    var subscribeWaiters: [UInt32: SubscribeWaiter] = [:]
    var lastRequestID: UInt32 = 0
    /// Channel aliases the server bound to topics in this session (§7.8).
    var aliases: [UInt32: String] = [:]
    /// The offset the next message on each history channel will have (§16.1).
    var channelOffsets: [UInt32: UInt64] = [:]
    var serverMaxMessageBytes: Int?
    /// What the server agreed to in the handshake (§20); nil: no compression, no deltas.
    var agreement: CompressionOffer?
    var deltaBases: DeltaBases
    /// Deltas that could not be applied (each asks for a snapshot).
    var snapshotsRequested = 0
    /// Made on first use (most clients never compress).
    var messageCompressor: MessageCompressor?
    var messageDecompressor: MessageDecompressor?
    /// Messages delivered during the current read batch, handed on at its end.
    var inbox: [IncomingMessage] = []
    /// One per `inbox` entry.
    var inboxCharges: [Charge] = []
    /// One per message handed to the consumer and not taken yet, in order.
    var unconsumed = CircularBuffer<Charge>()
    /// The consumer of `messages` is behind: connections stop reading.
    var readingPaused = false
    /// Built on the first `connect()` when `configuration.tls` is set; every
    /// connection of the client uses it.
    var sslContext: NIOSSLContext?

    init(
        configuration: CourierClient.Configuration, loop: any EventLoop, logger: Logger,
        random: any RandomNumberGenerator, messageSource: CourierClient.Messages.Source,
        events: AsyncStream<ConnectionEvent>.Continuation, ended: ClientEnded
    ) {
        self.ended = ended
        self.configuration = configuration
        self.loop = loop
        self.logger = logger
        self.random = random
        self.messageSource = messageSource
        self.events = events
        self.backoff = ReconnectBackoff(policy: configuration.reconnect)
        self.deltaBases = DeltaBases(budget: configuration.compression?.deltaBaseBytes ?? 0)
    }

    var currentAttempt: Attempt? {
        switch phase {
        case .connecting(let attempt), .active(let attempt): return attempt
        case .closing(let attempt): return attempt
        case .idle, .waiting, .closed: return nil
        }
    }

    /// The handler of the current connection, if it has been upgraded.
    var currentHandler: CourierConnectionHandler? { currentAttempt?.handler }

    var isClosed: Bool {
        switch phase {
        case .closing, .closed: return true
        default: return false
        }
    }

    var now: SessionInstant { SessionInstant(loop.now) }

    func emit(_ event: ConnectionEvent) {
        events.yield(event)
    }

    /// Ends the client for good: every waiter fails with `error`, the streams finish.
    func finish(failing error: CourierClientError) {
        if case .closed = phase { return }
        if case .waiting(let task) = phase { task.cancel() }
        currentAttempt?.upgradeTimer?.cancel()
        phase = .closed
        carriedSession = nil
        ticket = nil
        flushInbox()
        unconsumed.removeAll()
        failPendingSends(error)
        while let waiter = ackWaiters.popFirst() { waiter.promise.fail(error) }
        let subscribes = subscribeWaiters.values
        subscribeWaiters.removeAll()
        for waiter in subscribes { waiter.promise.fail(error) }
        connectPromise?.fail(error)
        connectPromise = nil
        emit(.closed)
        events.finish()
        messageSource.finish()
        ended.set()
        let promises = closePromises
        closePromises.removeAll()
        for promise in promises { promise.succeed(()) }
        logger.debug("client closed", metadata: ["reason": "\(error)"])
    }

    /// Hands the messages of the read batch to the consumer; stops reading when it
    /// falls behind.
    func flushInbox() {
        guard !inbox.isEmpty else { return }
        let batch = inbox
        let charges = inboxCharges
        inbox.removeAll(keepingCapacity: true)
        inboxCharges.removeAll(keepingCapacity: true)
        switch messageSource.yield(contentsOf: batch) {
        case .produceMore:
            unconsumed.append(contentsOf: charges)
        case .stopProducing:
            unconsumed.append(contentsOf: charges)
            if !readingPaused {
                readingPaused = true
                currentHandler?.setReadingPaused(true)
            }
        case .dropped:
            logger.debug("messages dropped: nobody iterates `messages` any more", metadata: ["count": "\(batch.count)"])
            returnCredit(charges)
        }
    }

    /// The consumer took `count` messages from `messages` (§16.3): their credit goes
    /// back to the connection they arrived on, if it is still the current one.
    func messagesConsumed(_ count: Int) {
        var taken: [Charge] = []
        taken.reserveCapacity(min(count, unconsumed.count))
        while taken.count < count, let charge = unconsumed.popFirst() { taken.append(charge) }
        returnCredit(taken)
    }

    /// Returns the credit of messages the consumer is done with (or will never see).
    /// Credit is per connection: messages of an earlier connection return nothing.
    func returnCredit(_ charges: some Sequence<Charge>) {
        guard let attempt = currentAttempt, let handler = attempt.handler else { return }
        var messages = 0
        var bytes = 0
        for charge in charges where charge.attemptID == attempt.id {
            messages += 1
            bytes += charge.bytes
        }
        if messages > 0 { handler.applicationConsumed(messages: messages, bytes: bytes) }
    }

    /// Fails every send still waiting.
    func failPendingSends(_ error: CourierClientError) {
        while let send = pendingRequests.popFirst() { send.promise.fail(error) }
        while let send = pendingSends.popFirst() { send.promise.fail(error) }
    }

    /// The consumer of `messages` caught up.
    func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        currentHandler?.setReadingPaused(false)
    }

    /// The consumer stopped iterating `messages`: reading must not stay paused, and
    /// what it never took will not be: its credit goes back.
    func messagesTerminated() {
        let charges = unconsumed
        unconsumed.removeAll()
        returnCredit(charges)
        resumeReading()
    }
}

@available(*, unavailable)
extension ClientCore: Sendable {}

@available(*, unavailable)
extension ClientCore.Attempt: Sendable {}
