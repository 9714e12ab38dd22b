#if os(Linux)
import Glibc
import Benchmark
import CourierAuth
import CourierServer
import CourierWire
import Foundation
import Logging
import NIOCore

/// One fan-out benchmark: an in-process `CourierServer`, one publisher and `subscribers`
/// subscribers of one topic, all on raw sockets of this process.
///
/// `setUp` (not measured) starts the server, connects and subscribes everybody with
/// blocking sockets, starts the `DeliveryReaders` threads and checks the whole path with
/// one batch. `iteration` (measured) publishes `messagesPerIteration` messages from
/// prepared frames and returns when every subscriber has read every one of them.
final class FanoutRig: @unchecked Sendable {
    static let topic = "bench.fanout"
    static let alias: UInt32 = 1
    static let messagesPerFrame = 16
    static let payloadBytes = 64
    /// Descriptors needed beyond two per subscriber (server, listener, epoll, stdio…).
    static let spareDescriptors = 256
    static let deliveriesPerSecond = BenchmarkMetric.custom("deliveries/s", polarity: .prefersLarger, useScalingFactor: false)

    let subscribers: Int
    let messagesPerIteration: Int
    /// The publisher stays at most this many messages ahead of the deliveries.
    /// `messagesPerFrame` (lockstep): each WebSocket message of the publisher is fanned
    /// out completely before the next is sent, so every subscriber gets exactly one write
    /// per 16 messages and the malloc count is exact and repeatable. Larger (pipelined):
    /// the server may put several publications in one write to a subscriber, as under
    /// load, and how many depends on timing; bounded so that no subscriber's queue in
    /// the server reaches its limit (which would drop messages).
    let window: Int
    let serverThreads: Int
    let readerThreads: Int
    /// A measured iteration that takes longer than this fails (a stuck server, lost
    /// messages). `COURIER_FANOUT_TIMEOUT` (seconds) raises it, e.g. for
    /// `--allocation-stacks`, which slows every malloc down.
    let timeout: Duration = .seconds(ProcessInfo.processInfo.environment["COURIER_FANOUT_TIMEOUT"].flatMap(Int.init) ?? 60)

    private var server: CourierServer?
    private var publisherFD: Int32 = -1
    private var subscriberFDs: [Int32] = []
    private var readers: DeliveryReaders?
    private var fullFrame: [UInt8] = []
    private var lastFrame: [UInt8] = []
    /// The publisher's credit (§16.3): from the HandshakeResponse, plus WindowUpdates.
    private var creditMessages = 0
    private var creditBytes = 0
    private var publisherErrors = 0
    /// What the server sends the publisher (WindowUpdates, Errors), read between sends.
    private let inbox = UnsafeMutableRawPointer.allocate(byteCount: 256 * 1_024, alignment: 16)
    private let inboxCapacity = 256 * 1_024
    private var inboxFill = 0

    init(subscribers: Int, deliveriesPerIteration: Int, window: Int, serverThreads: Int = 1, readerThreads: Int = 2) {
        precondition(subscribers > 0 && deliveriesPerIteration % subscribers == 0, "deliveries per iteration must be a multiple of the subscribers")
        precondition(window >= Self.messagesPerFrame, "the window must hold one WebSocket message of the publisher")
        self.subscribers = subscribers
        self.messagesPerIteration = deliveriesPerIteration / subscribers
        self.window = window
        self.serverThreads = serverThreads
        self.readerThreads = readerThreads
    }

    deinit { inbox.deallocate() }

    // MARK: Setup and teardown (not measured)

    func setUp() async throws {
        let secret = DevelopmentToken.generateSecret()
        let auth = try AuthConfiguration(jwtKeys: [try JWTVerificationKey.hs256(secret: secret)])
        var logger = Logger(label: "courier.fanout-benchmark")
        logger.logLevel = .error
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, secret: secret, auth: auth, eventLoopThreads: serverThreads)
        configuration.history = nil  // deliveries stay unreliable: subscribers need not acknowledge
        configuration.heartbeatInterval = .zero  // no pings to answer while the readers only count
        configuration.addressLimits = .init(connectionsPerSecond: 1_000_000, connectionBurst: 1_000_000, failedHandshakesPerMinute: 1_000, maxAddresses: 1_000)
        configuration.rateLimits = .init(messagesPerSecond: 1e12, bytesPerSecond: 1e15)
        configuration.maxSubscriptionsPerConnection = 16
        let server = try await CourierServer(configuration: configuration, logger: logger)
        try await server.start()
        self.server = server
        guard let port = server.port else { throw SetupSocket.Failure("the server has no port") }
        let token = try await DevelopmentToken.mint(secret: secret, subject: "bench", publish: [">"], subscribe: [">"], lifetime: .seconds(86_400), now: Date())
        try await Self.onThread { try self.connectEverybody(port: port, token: token) }
        // One batch through the whole path: every subscriber must get it, once.
        let before = readers?.delivered.load(ordering: .relaxed) ?? 0
        try Self.send(publisherFD, fullFrame)
        spend(Self.messagesPerFrame)
        let expected = before + subscribers * Self.messagesPerFrame
        let clock = ContinuousClock()
        let started = clock.now
        guard waitUntil(started: started, clock: clock, { self.readers!.delivered.load(ordering: .relaxed) >= expected }) else {
            throw SetupSocket.Failure("check batch: \(failureSummary(expected: expected))")
        }
    }

    /// Blocking: the publisher (who binds the alias before anybody subscribes), then
    /// every subscriber, then the reader threads.
    private func connectEverybody(port: Int, token: String) throws {
        var publisher = try SetupSocket(port: port)
        let response = try publisher.handshake(token: token)
        creditMessages = Int(response.creditMessages)
        creditBytes = Int(response.creditBytes)
        let payload = ByteBuffer(repeating: 0x66, count: Self.payloadBytes)
        try publisher.send([CourierMessage(body: .binaryData(DataMessage(route: .bind(alias: Self.alias, topic: Self.topic), payload: payload)))])
        spend(1)
        // A request answered in order proves the bind was routed (to nobody) before anyone subscribes.
        _ = try publisher.subscribe(to: "bench.fanout.sync")
        publisherFD = publisher.fd
        fullFrame = try Self.frame(messages: Self.messagesPerFrame, payload: payload)
        let rest = messagesPerIteration % Self.messagesPerFrame
        lastFrame = rest > 0 ? try Self.frame(messages: rest, payload: payload) : fullFrame

        var initial: [[UInt8]] = []
        subscriberFDs.reserveCapacity(subscribers)
        for _ in 0..<subscribers {
            var socket = try SetupSocket(port: port)
            _ = try socket.handshake(token: token)
            _ = try socket.subscribe(to: Self.topic)
            socket.setNonBlocking()
            subscriberFDs.append(socket.fd)
            initial.append(socket.pending)
        }
        let readers = try DeliveryReaders(fds: subscriberFDs, initial: initial)
        try readers.start(threads: readerThreads)
        self.readers = readers
    }

    /// One prepared, masked WebSocket message of `messages` unreliable BinaryData
    /// messages on the bound alias; checked by decoding it back.
    static func frame(messages: Int, payload: ByteBuffer) throws -> [UInt8] {
        let message = CourierMessage(body: .binaryData(DataMessage(route: .channel(alias), payload: payload)))
        var buffer = ByteBuffer()
        try MessageEncoder(version: .v2).encodeBatch(Array(repeating: message, count: messages), into: &buffer)
        let decoded = try FrameReader.decodeAll(buffer, decoder: MessageDecoder(version: .v2))
        guard decoded.count == messages, decoded.allSatisfy({ $0.message == message }) else { throw SetupSocket.Failure("the prepared frame does not decode back") }
        return SetupSocket.maskedFrame(Array(buffer.readableBytesView))
    }

    func tearDown() async {
        readers?.stop()
        await server?.shutdown(grace: .milliseconds(200))
        for fd in subscriberFDs { close(fd) }
        if publisherFD >= 0 { close(publisherFD) }
        subscriberFDs.removeAll()
        publisherFD = -1
        readers = nil
        server = nil
    }

    /// Runs blocking setup on a thread of its own, not on one of the concurrency pool's
    /// (the server authenticates on that pool).
    static func onThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    // MARK: The measured part

    /// Publishes `messagesPerIteration` messages, `messagesPerFrame` per WebSocket
    /// message, and waits until all `subscribers × messagesPerIteration` deliveries were
    /// read. Nothing here allocates unless it fails.
    func iteration(_ benchmark: Benchmark) {
        guard let readers else { return benchmark.error("setup did not finish") }
        let base = readers.delivered.load(ordering: .relaxed)
        let target = base + subscribers * messagesPerIteration
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        let started = clock.now
        var sent = 0
        var ok = true
        while ok && sent < messagesPerIteration {
            let count = min(Self.messagesPerFrame, messagesPerIteration - sent)
            let needed = base + max(0, sent + count - window) * subscribers
            ok = waitUntil(started: started, clock: clock) {
                readers.delivered.load(ordering: .relaxed) >= needed && creditMessages >= count && creditBytes >= count * Self.payloadBytes
            }
            if ok {
                ok = (try? Self.send(publisherFD, count == Self.messagesPerFrame ? fullFrame : lastFrame)) != nil
                spend(count)
                sent += count
            }
        }
        if ok { ok = waitUntil(started: started, clock: clock) { readers.delivered.load(ordering: .relaxed) >= target } }
        benchmark.stopMeasurement()
        let elapsed = clock.now - started
        guard ok else { return benchmark.error("fan-out iteration failed after sending \(sent) messages: \(failureSummary(expected: target))") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(Self.deliveriesPerSecond, Int(Double(subscribers * messagesPerIteration) / seconds))
    }

    /// Polls `condition` (sleeping 50 µs between tries, reading what the server sent the
    /// publisher); false on a failure seen by the readers or after `timeout`.
    private func waitUntil(started: ContinuousClock.Instant, clock: ContinuousClock, _ condition: () -> Bool) -> Bool {
        guard let readers else { return false }
        while !condition() {
            if readers.errors.load(ordering: .relaxed) > 0 || readers.closes.load(ordering: .relaxed) > 0
                || readers.malformed.load(ordering: .relaxed) > 0 || publisherErrors > 0 || clock.now - started > timeout {
                return false
            }
            readPublisherInbox()
            usleep(50)
        }
        return true
    }

    /// Non-blocking read of the publisher's socket: WindowUpdates add credit.
    private func readPublisherInbox() {
        let received = recv(publisherFD, inbox.advanced(by: inboxFill), inboxCapacity - inboxFill, Int32(MSG_DONTWAIT))
        guard received > 0 else { return }
        inboxFill += received
        var tally = ScanTally()
        let used = FrameScanner.scan(UnsafeRawBufferPointer(start: inbox, count: inboxFill), into: &tally)
        if used > 0 {
            memmove(inbox, inbox.advanced(by: used), inboxFill - used)
            inboxFill -= used
        }
        creditMessages += tally.windowMessages
        creditBytes += tally.windowBytes
        publisherErrors += tally.errors + tally.closes + tally.malformed
    }

    private func spend(_ messages: Int) {
        creditMessages -= messages
        creditBytes -= messages * Self.payloadBytes
    }

    static func send(_ fd: Int32, _ frame: [UInt8]) throws {
        try frame.withUnsafeBytes { try SetupSocket.sendAll(fd, $0) }
    }

    private func failureSummary(expected: Int) -> String {
        guard let readers else { return "no readers" }
        return "delivered \(readers.delivered.load(ordering: .relaxed)) of \(expected) (cumulative), subscriber errors \(readers.errors.load(ordering: .relaxed)) "
            + "(402 = messages dropped), closes \(readers.closes.load(ordering: .relaxed)), malformed \(readers.malformed.load(ordering: .relaxed)), "
            + "publisher errors/closes \(publisherErrors), publisher credit \(creditMessages) messages / \(creditBytes) B"
    }

    // MARK: File descriptors

    /// Raises RLIMIT_NOFILE so that `subscribers` connections fit (two descriptors each:
    /// client and server side, same process). Nil when they fit, else why not.
    static func raiseFileLimit(subscribers: Int) -> String? {
        let wanted = rlim_t(2 * subscribers + spareDescriptors)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur >= wanted { return nil }
        var raised = rlimit(rlim_cur: wanted, rlim_max: max(limit.rlim_max, wanted))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return nil }
        if limit.rlim_max >= wanted {
            limit.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { return nil }
        }
        return "RLIMIT_NOFILE hard limit is \(limit.rlim_max) and may not be raised; \(wanted) descriptors are needed"
    }
}
#endif
