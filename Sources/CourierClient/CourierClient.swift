import CourierWire
import Logging
import NIOCore
import NIOPosix

/// A Courier client: one session with a server over WebSocket, kept alive across
/// connections (reconnect with backoff, resume, replay; `docs/PROTOCOL.md` §12, §14).
///
/// All state lives on one event loop of the group; every method hops there. Read
/// `messages` (data from the server) and `events` (connection changes) from tasks of
/// your own, call `connect()` once, and `close()` when done.
///
/// ```swift
/// let client = CourierClient(configuration: .init(host: "localhost", port: 8080, authentication: .jwt(token: token)))
/// try await client.connect()
/// let subscription = try await client.subscribe("prices.*")
/// try await client.send("hello", to: .topic("chat.lobby"))
/// for await message in client.messages { … }
/// await client.close()
/// ```
public final class CourierClient: Sendable {
    public let configuration: Configuration
    /// The loop all of this client's state and connections live on.
    public let eventLoop: any EventLoop
    /// Data messages from the server, in order; see `Messages` for backpressure.
    public let messages: Messages
    /// Connection changes. Unbounded (events are few); ends after `.closed`.
    public let events: AsyncStream<ConnectionEvent>
    /// Runs tasks on `eventLoop`: awaiting this client under
    /// `withTaskExecutorPreference(client.taskExecutor) { … }` costs no thread hop per
    /// call (see `EventLoopTaskExecutor`; the code in it must not block).
    public let taskExecutor: EventLoopTaskExecutor
    let core: NIOLoopBoundBox<ClientCore>

    /// - Parameters:
    ///   - eventLoopGroup: where to run; defaults to NIO's shared singleton group.
    public convenience init(
        configuration: Configuration,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "courier.client")
    ) {
        self.init(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, randomNumberGenerator: SystemRandomNumberGenerator())
    }

    /// As above, with the source of reconnect jitter (inject a seeded one in tests).
    public init(
        configuration: Configuration,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "courier.client"),
        randomNumberGenerator: some RandomNumberGenerator & Sendable
    ) {
        let loop = (eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton).next()
        let delegateCore = NIOLoopBoundBox<ClientCore?>.makeEmptyBox(valueType: ClientCore.self, eventLoop: loop)
        let ended = ClientEnded()
        let (messages, source) = Messages.make(
            limit: configuration.incomingBufferLimit, delegate: MessagesDelegate(loop: loop, core: delegateCore, ended: ended)
        )
        let (events, continuation) = AsyncStream.makeStream(of: ConnectionEvent.self, bufferingPolicy: .unbounded)
        let core = NIOLoopBoundBox.makeBoxSendingValue(
            ClientCore(
                configuration: configuration, loop: loop, logger: logger, random: randomNumberGenerator,
                messageSource: source, events: continuation, ended: ended
            ),
            eventLoop: loop
        )
        loop.execute { delegateCore.value = core.value }
        self.configuration = configuration
        self.eventLoop = loop
        self.messages = messages
        self.events = events
        self.core = core
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: loop)
    }

    /// Makes the first connection and completes the handshake. Later connections
    /// (after a loss) are made automatically. Throws if this first one fails.
    public func connect() async throws(CourierClientError) {
        try await onLoop { $0.connect() }
    }

    /// Sends `payload` as BinaryData. Returns once the message is numbered (when
    /// reliable) and queued for writing; waits — without failing — while the replay
    /// buffer is full, while the server's credit does not cover it (§16.3), or while
    /// the client is reconnecting. Messages wait in order.
    public func send(_ payload: ByteBuffer, to destination: Destination, reliable: Bool = true) async throws(CourierClientError) {
        try await send(.binaryData, payload, to: destination, reliable: reliable, awaitAcknowledgement: false)
    }

    public func send(_ bytes: [UInt8], to destination: Destination, reliable: Bool = true) async throws(CourierClientError) {
        try await send(.binaryData, ByteBuffer(bytes: bytes), to: destination, reliable: reliable, awaitAcknowledgement: false)
    }

    /// Sends `text` as TextData.
    public func send(_ text: String, to destination: Destination, reliable: Bool = true) async throws(CourierClientError) {
        try await send(.textData, ByteBuffer(string: text), to: destination, reliable: reliable, awaitAcknowledgement: false)
    }

    /// Sends reliably and returns once the server acknowledged the message, also
    /// across a resumed connection. Fails with `resumeFailed` if the session is lost
    /// first.
    public func sendAcknowledged(_ payload: ByteBuffer, to destination: Destination) async throws(CourierClientError) {
        try await send(.binaryData, payload, to: destination, reliable: true, awaitAcknowledgement: true)
    }

    public func sendAcknowledged(_ bytes: [UInt8], to destination: Destination) async throws(CourierClientError) {
        try await send(.binaryData, ByteBuffer(bytes: bytes), to: destination, reliable: true, awaitAcknowledgement: true)
    }

    public func sendAcknowledged(_ text: String, to destination: Destination) async throws(CourierClientError) {
        try await send(.textData, ByteBuffer(string: text), to: destination, reliable: true, awaitAcknowledgement: true)
    }

    /// Sends again, reliably, a data message reported by `ConnectionEvent.resumeFailed`
    /// (it is numbered anew in the new session).
    public func resend(_ message: CourierMessage) async throws(CourierClientError) {
        let route: Route
        switch message.body {
        case .textData(let data), .binaryData(let data): route = data.route
        case .deltaUpdate(let update): route = update.route
        default: throw .invalidDestination("only data messages can be resent, not \(message.type.name)")
        }
        let fresh = CourierMessage(header: MessageHeader(flags: message.header.flags.subtracting(.ackRequested)), body: message.body)
        let payload = Self.payloadBytes(message)
        try await onLoop {
            $0.send(fresh, reliable: true, bodyBytes: Self.routeBytes(route) + payload, payloadBytes: payload, awaitAcknowledgement: false)
        }
    }

    /// Subscribes to a topic or pattern; returns when the server confirmed it. Throws
    /// `requestRejected` when the server refuses (for example 300 subscribe denied).
    public func subscribe(_ pattern: String) async throws(CourierClientError) -> Subscription {
        try await onLoop { $0.subscribe(pattern) }
    }

    /// Subscribes to a topic and first receives, in order, every message of its history
    /// from `position` on (`subscription.recovery == .recovered`), or learns that they
    /// are no longer kept (`.failed`: some may have been missed).
    public func subscribe(_ pattern: String, from position: HistoryPosition) async throws(CourierClientError) -> Subscription {
        try await onLoop { $0.subscribe(pattern, from: position) }
    }

    /// Ends a subscription (returns once the Unsubscribe is queued).
    public func unsubscribe(_ subscription: Subscription) async throws(CourierClientError) {
        try await onLoop { $0.unsubscribe(channel: subscription.channel) }
    }

    /// Sends Close 1000 and ends the session for good; returns when the connection is
    /// closed. Waiting sends fail with `closed`.
    public func close() async {
        let core = self.core
        try? await eventLoop.flatSubmit { core.value.close() }.get()
    }

    func send(
        _ type: MessageType, _ payload: ByteBuffer, to destination: Destination, reliable: Bool, awaitAcknowledgement: Bool,
        flags: MessageFlags = []
    ) async throws(CourierClientError) {
        let route = try destination.route()
        let data = DataMessage(route: route, payload: payload)
        let message = CourierMessage(header: MessageHeader(flags: flags), body: type == .textData ? .textData(data) : .binaryData(data))
        let body = Self.routeBytes(route) + payload.readableBytes
        try await onLoop {
            $0.send(message, reliable: reliable, bodyBytes: body, payloadBytes: payload.readableBytes, awaitAcknowledgement: awaitAcknowledgement)
        }
    }

    /// An upper bound on the bytes a route takes in a body (either version).
    static func routeBytes(_ route: Route) -> Int {
        switch route {
        case .topic(let text), .user(let text), .bind(_, let text): return 11 + text.utf8.count
        case .session, .channel: return 11
        }
    }

    static func payloadBytes(_ message: CourierMessage) -> Int {
        switch message.body {
        case .textData(let data), .binaryData(let data): return data.payload.readableBytes
        case .deltaUpdate(let update): return update.payload.readableBytes + update.key.utf8.count + 16
        default: return 0
        }
    }

    /// Runs `body` on the loop and waits for its future. Already on the loop (a task
    /// preferring `taskExecutor`), it runs at once rather than in a task queued behind
    /// this one (a loop tick less per call).
    func onLoop<Result: Sendable>(
        _ body: @escaping @Sendable (ClientCore) -> EventLoopFuture<Result>
    ) async throws(CourierClientError) -> Result {
        let core = self.core
        let future = eventLoop.inEventLoop ? body(core.value) : eventLoop.flatSubmit { body(core.value) }
        do {
            return try await future.get()
        } catch let error as CourierClientError {
            throw error
        } catch {
            throw .connectionFailed("\(error)")
        }
    }
}
