import ArgumentParser
import CourierInspect
import CourierWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `courier bench throughput`: acknowledged messages per second on one connection,
/// pipelined within the credit the server grants (issue: "One connection, 64 B
/// acknowledged messages pipelined: ≥ 200,000 msgs/s").
struct ThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Acknowledged messages per second on one connection, pipelined within the server's credit."
    )

    static let topic = "bench.throughput"

    @Option(help: "Reliable messages to publish.") var count = 1_000_000
    @Option(help: "Payload bytes.") var payload = 64
    @Option(help: "Messages per WebSocket message.") var batch = 64
    @Flag(help: "Also subscribe the connection to the topic, so each message comes back (deliveries are counted and acknowledged).")
    var subscribeSelf = false
    @Option(help: "Measure a running server (ws://host:port/); default: start one in this process.") var url: String?
    @Option(help: "Token for --url (it must allow publishing to bench.throughput).") var token: String?
    @Option(help: "Event loop threads of the in-process server.") var serverThreads = 1
    @Option(help: "Give up after this many seconds without a new acknowledgement or delivery.") var stallTimeout = 30
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard count > 0, count < Int(Int32.max) else { throw ValidationError("--count must be 1...\(Int32.max - 1)") }
        guard batch > 0, batch <= 1_024 else { throw ValidationError("--batch must be 1...1024 (the default maxMessagesPerFrame)") }
        guard payload >= 0, payload <= 1 << 20 else { throw ValidationError("--payload must be 0...1048576") }
        guard serverThreads > 0, stallTimeout > 0 else { throw ValidationError("--server-threads and --stall-timeout must be positive") }
    }

    func run() async throws {
        let target = try await BenchTarget.make(url: url, token: token, serverThreads: serverThreads, unlimitedRates: true)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let run = ThroughputRun(count: count, batch: batch, payload: payload, topic: Self.topic, expectDeliveries: subscribeSelf, loop: loop)
        let outcome: Result<ThroughputRun.Snapshot, any Error>
        do {
            let connection = try await RawCourierConnection.connect(
                host: target.host, port: target.port, token: target.token, subscribeTo: subscribeSelf ? Self.topic : nil,
                received: NIOLockedValueBox(0), group: loop, driver: run
            )
            do {
                outcome = .success(try await watch(run, connection, loop))
            } catch {
                outcome = .failure(error)
            }
            connection.channel?.close(promise: nil)
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        await target.stop()
        let result = try outcome.get()
        json ? printJSON(result) : printText(result)
    }

    /// Starts the run on the event loop, prints progress, returns the final snapshot.
    func watch(_ run: ThroughputRun, _ connection: RawCourierConnection, _ loop: any EventLoop) async throws -> ThroughputRun.Snapshot {
        try await loop.submit { try run.start(connection) }.get()
        var progress = Progress(total: count)
        var last = (acknowledged: -1, deliveries: -1)
        var lastChange = ContinuousClock.now
        while true {
            try await Task.sleep(for: .milliseconds(50))
            let snapshot = try await loop.submit { run.snapshot(final: false) }.get()
            if let failure = snapshot.failure { throw BenchError(failure + " (\(snapshot.summary))") }
            if !json { progress.update(snapshot.acknowledged) }
            if snapshot.finished { return try await loop.submit { run.snapshot(final: true) }.get() }
            if (snapshot.acknowledged, snapshot.deliveries) != last {
                last = (snapshot.acknowledged, snapshot.deliveries)
                lastChange = .now
            } else if ContinuousClock.now - lastChange > .seconds(stallTimeout) {
                throw BenchError("stalled for \(stallTimeout) s (\(snapshot.summary))")
            }
        }
    }

    func printText(_ result: ThroughputRun.Snapshot) {
        let credit = result.credit
        print("throughput: 1 connection, \(count) × \(payload) B reliable messages in batches of \(batch), protocol v2, \(BuildInfo.mode) build, \(BuildInfo.cores) cores, server threads \(serverThreads)")
        print("  credit: \(credit.initialMessages) messages / \(credit.initialBytes) B from the HandshakeResponse, \(Self.describe(credit)); at most \(result.maxUnacknowledged) messages unacknowledged")
        print("  acknowledged \(result.acknowledged) in \(String(format: "%.3f", result.seconds)) s: \(Int(result.messagesPerSecond)) msgs/s")
        print("  send → ack per batch: " + result.latency.line)
        if subscribeSelf {
            print("  delivered back \(result.deliveries) in \(String(format: "%.3f", result.deliverySeconds)) s: \(Int(result.deliveriesPerSecond)) deliveries/s")
        }
    }

    static func describe(_ credit: PublishCredit) -> String {
        switch credit.source {
        case .handshake: return "never exhausted"
        case .windowUpdates: return "returned by \(credit.windowUpdates) WindowUpdates"
        case .acknowledgements: return "returned by acknowledgements (the server sent no WindowUpdate)"
        }
    }

    func printJSON(_ result: ThroughputRun.Snapshot) {
        var fields: [(String, JSONValue)] = [
            ("scenario", .string("throughput")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("payload_bytes", .number(Int64(payload))), ("count", .number(Int64(result.acknowledged))),
            ("messages_per_second", .number(Int64(result.messagesPerSecond))), ("ack_latency_us", result.latency.json),
            ("batch", .number(Int64(batch))), ("server_threads", .number(Int64(serverThreads))),
            ("seconds", .decimal(String(format: "%.3f", result.seconds))),
            ("credit", .object([
                ("messages", .number(Int64(result.credit.initialMessages))), ("bytes", .number(Int64(result.credit.initialBytes))),
                ("returned_by", .string(result.credit.source.rawValue)), ("window_updates", .number(Int64(result.credit.windowUpdates))),
                ("max_unacknowledged", .number(Int64(result.maxUnacknowledged))),
            ])),
            ("subscribe_self", .bool(subscribeSelf)),
        ]
        if subscribeSelf {
            fields.append(("deliveries", .number(Int64(result.deliveries))))
            fields.append(("deliveries_per_second", .number(Int64(result.deliveriesPerSecond))))
        }
        print(JSONValue.object(fields).pretty)
    }
}

/// One throughput run, driven on the connection's event loop: writes batches while
/// `PipelinedPublisher` allows, takes acknowledgements and WindowUpdates, counts (and
/// acknowledges) the deliveries of `--subscribe-self`. Everything happens on `loop`.
///
/// With `--subscribe-self` the connection is also a receiver, and behaves as one must
/// for reliable deliveries at this rate:
/// * it turns server → client flow control on (§16.3) with a window of
///   `deliveryWindow` messages and returns credit for what it read, once per read batch,
///   so the server never has more unacknowledged deliveries out than its replay buffer
///   holds (4,096 by default; beyond it the server closes with 4007);
/// * it acknowledges deliveries once per read batch (§12);
/// * it publishes at most `deliveryLeadBytes` of payload ahead of its deliveries, so the
///   server's delivery queue for it (256 KiB per channel by default) never fills and
///   drops messages (§16.2).
final class ThroughputRun: RawConnectionDriver, @unchecked Sendable {
    static let deliveryWindow = 1_024
    static let deliveryLeadBytes = 128 * 1_024

    struct Snapshot {
        var acknowledged: Int
        var sent: Int
        var deliveries: Int
        var maxUnacknowledged: Int
        var credit: PublishCredit
        /// Only in the final snapshot (copying the histogram while the run goes on would be waste).
        var latency: LatencyReport
        var finished: Bool
        var failure: String?
        var seconds: Double
        var deliverySeconds: Double

        var messagesPerSecond: Double { seconds > 0 ? Double(acknowledged) / seconds : 0 }
        var deliveriesPerSecond: Double { deliverySeconds > 0 ? Double(deliveries) / deliverySeconds : 0 }
        var summary: String {
            "sent \(sent), acknowledged \(acknowledged), delivered \(deliveries), credit \(credit.messages) messages / \(credit.bytes) B via \(credit.source.rawValue)"
        }
    }

    let count: Int
    let batch: Int
    let payload: Int
    let expectDeliveries: Bool
    let loop: any EventLoop
    private let clock = ContinuousClock()
    private var frames: ThroughputFrames
    private var publisher: PipelinedPublisher?
    private weak var connection: RawCourierConnection?
    private var latency = LatencyReport()
    private var maxUnacknowledged = 0
    private var firstSendAt: ContinuousClock.Instant?
    private var lastAckAt: ContinuousClock.Instant?
    private var lastDeliveryAt: ContinuousClock.Instant?
    private var deliveries = 0
    private var inbound = SequenceResolver()
    private var lastAcknowledgedDelivery: UInt32?
    private var finished = false
    private var failure: String?
    private let encoder = MessageEncoder(version: .v2)
    private var starvationCheck: Scheduled<Void>?
    /// Deliveries read since credit was last returned to the server (`--subscribe-self`).
    private var consumedMessages = 0
    private var consumedBytes = 0

    init(count: Int, batch: Int, payload: Int, topic: String, expectDeliveries: Bool, loop: any EventLoop) {
        self.count = count
        self.batch = batch
        self.payload = payload
        self.expectDeliveries = expectDeliveries
        self.loop = loop
        self.frames = ThroughputFrames(topic: topic, payloadBytes: payload)
    }

    func start(_ connection: RawCourierConnection) throws {
        loop.preconditionInEventLoop()
        guard let response = connection.handshakeResponse else { throw BenchError("no HandshakeResponse") }
        self.connection = connection
        publisher = PipelinedPublisher(count: count, batchSize: batch, payload: payload, credit: PublishCredit(messages: response.creditMessages, bytes: response.creditBytes))
        if expectDeliveries {
            // The byte window must hold the largest message the server may send (§16.3).
            let bytes = min(Int(UInt32.max), max(Int(response.maxMessageBytes), Self.deliveryWindow * max(payload, 1)))
            try write([CourierMessage(body: .windowUpdate(WindowUpdate(channel: 0, messages: UInt32(Self.deliveryWindow), bytes: UInt32(bytes))))])
            connection.flush()
        }
        pump()
    }

    func snapshot(final: Bool) -> Snapshot {
        loop.preconditionInEventLoop()
        func seconds(_ end: ContinuousClock.Instant?) -> Double {
            guard let start = firstSendAt, let end else { return 0 }
            let elapsed = end - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        return Snapshot(
            acknowledged: publisher?.acknowledged ?? 0, sent: publisher?.sent ?? 0, deliveries: deliveries, maxUnacknowledged: maxUnacknowledged,
            credit: publisher?.credit ?? PublishCredit(messages: 0, bytes: 0), latency: final ? latency : LatencyReport(), finished: finished, failure: failure,
            seconds: seconds(lastAckAt), deliverySeconds: seconds(lastDeliveryAt)
        )
    }

    /// Writes every batch the credit allows, then flushes once.
    private func pump() {
        guard let connection, !finished, failure == nil else { return }
        var wrote = false
        // Mutated in place (`publisher?.…`): a local copy would copy its in-flight list.
        while let size = publisher?.nextBatch(), let first = publisher.map({ UInt32($0.sent + 1) }) {
            if expectDeliveries, (Int(first) - 1 + size - deliveries) * max(payload, 1) > Self.deliveryLeadBytes, Int(first) - 1 > deliveries {
                break  // far enough ahead of what came back
            }
            let frame: ByteBuffer
            do {
                frame = try frames.frame(first: first, count: size)
            } catch {
                return fail("could not encode a batch: \(error)")
            }
            let now = clock.now
            if firstSendAt == nil { firstSendAt = now }
            connection.write(frame)
            publisher?.wrote(size, at: now)
            maxUnacknowledged = max(maxUnacknowledged, publisher?.unacknowledged ?? 0)
            wrote = true
        }
        if wrote { connection.flush() }
    }

    func connection(_ connection: RawCourierConnection, received message: CourierMessage) {
        switch message.body {
        case .acknowledge(let ack):
            let now = clock.now
            switch publisher?.received(ack, at: now, latency: { latency.record($0) }) {
            case .advanced?: lastAckAt = now
            case .beyondSent(let sequence)?: fail("the server acknowledged sequence \(sequence), never sent")
            case .stale?, nil: break
            }
        case .windowUpdate(let update):
            publisher?.received(update)
        case .binaryData, .textData:
            switch inbound.resolve(message.header) {
            case .noPrevious: return fail("a delivery with an implicit sequence and no previous one")
            case .sequence, .unreliable: break
            }
            deliveries += 1
            consumedMessages += 1
            consumedBytes += message.dataPayload?.readableBytes ?? 0
            lastDeliveryAt = clock.now
        case .error(let error):
            fail("the server sent Error \(error.code): \(error.message)")
        case .close(let close):
            fail("the server closed with \(close.code): \(close.reason)")
        default:
            break
        }
    }

    func connectionReadComplete(_ connection: RawCourierConnection) {
        // §12: acknowledge the deliveries of this read batch, cumulatively; §16.3: return
        // their credit. One WebSocket message for both.
        var control: [CourierMessage] = []
        if let received = inbound.previous, received != lastAcknowledgedDelivery {
            lastAcknowledgedDelivery = received
            control.append(CourierMessage(body: .acknowledge(Acknowledge(sequence: received))))
        }
        if consumedMessages > 0 {
            control.append(CourierMessage(body: .windowUpdate(WindowUpdate(channel: 0, messages: UInt32(consumedMessages), bytes: UInt32(min(consumedBytes, Int(UInt32.max)))))))
            consumedMessages = 0
            consumedBytes = 0
        }
        if !control.isEmpty {
            do {
                try write(control)
            } catch {
                return fail("could not encode \(control.count) control messages: \(error)")
            }
            connection.flush()
        }
        pump()
        checkStarvation()
        if let publisher, publisher.finished, !expectDeliveries || deliveries >= count {
            finished = true
        }
    }

    /// A server without WindowUpdates shows itself by leaving the publisher starved
    /// (`PipelinedPublisher.checkStarvation`): look again after the grace period.
    private func checkStarvation() {
        guard publisher != nil, !finished, failure == nil else { return }
        if publisher?.checkStarvation(at: clock.now) == true { return pump() }
        guard publisher?.starvedSince != nil, starvationCheck == nil else { return }
        starvationCheck = loop.scheduleTask(in: .nanoseconds(PipelinedPublisher.legacyGrace.nanosecondsApproximately + 10_000_000)) {
            self.starvationCheck = nil
            self.checkStarvation()
        }
    }

    /// Writes `messages` as one WebSocket message (not flushed).
    private func write(_ messages: [CourierMessage]) throws {
        var buffer = ByteBuffer()
        try encoder.encodeBatch(messages, into: &buffer)
        connection?.write(buffer)
    }

    func connection(_ connection: RawCourierConnection, failed reason: String) {
        fail(reason)
    }

    private func fail(_ reason: String) {
        guard !finished, failure == nil else { return }
        failure = reason
    }
}

extension Duration {
    var nanosecondsApproximately: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
