import CourierWire

/// The sending side of `courier bench throughput` as a value type: how many messages
/// the next WebSocket message may carry (credit, §16.3), and which batches a
/// cumulative acknowledgement (§12) completes. The caller performs the writes and
/// passes the time in.
///
/// The connection's reliable messages are numbered 1, 2, 3, …: message `n` of the run
/// has sequence `n`, so "acknowledged through sequence s" means "the first s messages".
struct PipelinedPublisher {
    /// One WebSocket message written and not yet wholly acknowledged.
    struct Batch: Hashable {
        /// Sequence of its last message.
        let last: Int
        let sentAt: ContinuousClock.Instant
    }

    enum Acknowledgement: Hashable {
        /// `by` more messages are acknowledged; `batches` batches completed.
        case advanced(by: Int, batches: Int)
        /// At or below what was already acknowledged (a repeated acknowledgement).
        case stale
        /// A sequence that was never sent: the server is wrong (§12 would close with 4003).
        case beyondSent(UInt32)
    }

    let count: Int
    let batchSize: Int
    let payload: Int
    private(set) var credit: PublishCredit
    private(set) var sent = 0
    private(set) var acknowledged = 0
    private(set) var inFlight: [Batch] = []

    /// - Precondition: local configuration (validated by the command): `count` below
    ///   2^31 so sequences never wrap, `batchSize` positive.
    init(count: Int, batchSize: Int, payload: Int, credit: PublishCredit) {
        precondition(count > 0 && count < Int(Int32.max) && batchSize > 0 && payload >= 0, "invalid throughput configuration")
        self.count = count
        self.batchSize = batchSize
        self.payload = payload
        self.credit = credit
        inFlight.reserveCapacity(1_024)
    }

    var finished: Bool { acknowledged == count }
    var unacknowledged: Int { sent - acknowledged }

    /// Messages the next WebSocket message carries, or nil to wait.
    ///
    /// A full batch (or the rest of the run) when the credit covers it. A smaller one
    /// only when nothing is in flight, so that nothing else would bring credit back
    /// (a credit window smaller than a batch).
    func nextBatch() -> Int? {
        let wanted = min(batchSize, count - sent)
        guard wanted > 0 else { return nil }
        let affordable = credit.affordable(upTo: wanted, payload: payload)
        if affordable == wanted { return wanted }
        return affordable > 0 && unacknowledged == 0 ? affordable : nil
    }

    /// Records a batch of `messages` written at `now` (sequences `sent + 1 … sent + messages`).
    mutating func wrote(_ messages: Int, at now: ContinuousClock.Instant) {
        credit.spend(messages: messages, payload: payload)
        sent += messages
        inFlight.append(Batch(last: sent, sentAt: now))
    }

    /// A cumulative Acknowledge from the server; `latency` gets, for every batch it
    /// completes, the time from that batch's write to `now`.
    mutating func received(_ ack: Acknowledge, at now: ContinuousClock.Instant, latency: (Duration) -> Void) -> Acknowledgement {
        let through = Int(ack.sequence)
        guard through <= sent else { return .beyondSent(ack.sequence) }
        guard through > acknowledged else { return .stale }
        let newly = through - acknowledged
        acknowledged = through
        credit.acknowledged(messages: newly, payload: payload)
        var completed = 0
        while completed < inFlight.count, inFlight[completed].last <= through {
            latency(now - inFlight[completed].sentAt)
            completed += 1
        }
        inFlight.removeFirst(completed)
        return .advanced(by: newly, batches: completed)
    }

    mutating func received(_ update: WindowUpdate) {
        credit.received(update)
        starvedSince = nil
    }

    // MARK: Servers without WindowUpdates

    /// How long the publisher waits, starved, before it concludes that the server
    /// predates §16.3. A §16.3 server's WindowUpdate may trail the acknowledgement of
    /// the same messages; it does not trail it by this much.
    static let legacyGrace = Duration.milliseconds(250)

    /// Since when the publisher has been starved (see `isStarved`), if it is.
    private(set) var starvedSince: ContinuousClock.Instant?

    /// The initial credit is spent, every message sent is acknowledged, and no
    /// WindowUpdate ever came.
    var isStarved: Bool { credit.source == .handshake && unacknowledged == 0 && sent < count && nextBatch() == nil }

    /// Call after acknowledgements and on a timer while `starvedSince` is set. True when
    /// the publisher, starved for `legacyGrace`, switched to acknowledgement credit
    /// (then it can write again).
    mutating func checkStarvation(at now: ContinuousClock.Instant) -> Bool {
        guard isStarved else {
            starvedSince = nil
            return false
        }
        guard let since = starvedSince else {
            starvedSince = now
            return false
        }
        guard now - since >= Self.legacyGrace else { return false }
        credit.assumeAcknowledgementCredit()
        starvedSince = nil
        return true
    }
}
