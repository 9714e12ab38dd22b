import CourierSession
import CourierWire
import DequeModule
import NIOCore

/// The recent messages of one topic (`docs/PROTOCOL.md` §16.1): a ring bounded in
/// count and age, numbered by offsets within an epoch. A client that saw offsets up to
/// `n` of an epoch resubscribes from `n + 1` and gets what it missed, or learns
/// explicitly that it cannot (`recovery = failed`).
public struct TopicHistory: Sendable {
    public struct Limits: Hashable, Sendable {
        public var maxMessages: Int
        public var maxBytes: Int
        public var maxAge: Duration

        public init(maxMessages: Int = 100, maxBytes: Int = 256 * 1_024, maxAge: Duration = .seconds(300)) {
            precondition(maxMessages > 0 && maxBytes > 0 && maxAge > .zero, "history limits must be positive")
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
            self.maxAge = maxAge
        }
    }

    struct Entry: Sendable {
        var offset: UInt64
        var at: SessionInstant
        var message: CourierMessage
        var bytes: Int
    }

    let epoch: UInt64
    let limits: Limits
    /// `limits.maxAge` in nanoseconds (compared on every append: integers, not `Duration`).
    private let maxAgeNanoseconds: UInt64
    /// The offset the next message will get.
    private(set) var nextOffset: UInt64 = 1
    private(set) var entries = Deque<Entry>()
    private(set) var bytes = 0

    init(epoch: UInt64, limits: Limits) {
        self.epoch = epoch
        self.limits = limits
        self.maxAgeNanoseconds = UInt64(limits.maxAge.nanoseconds)
    }

    /// Keeps `message` (its payload copied into storage of its own, so the history
    /// never pins a whole read buffer, unless `isCompact` says it already has that)
    /// and returns the epoch and the offset it got.
    @discardableResult
    mutating func append(_ message: CourierMessage, now: SessionInstant, isCompact: Bool = false) -> (epoch: UInt64, offset: UInt64) {
        let offset = nextOffset
        nextOffset += 1
        let compacted = isCompact ? message : Self.compacted(message)
        let size = Self.payloadSize(compacted)
        entries.append(Entry(offset: offset, at: now, message: compacted, bytes: size))
        bytes += size
        prune(now: now)
        return (epoch, offset)
    }

    mutating func prune(now: SessionInstant) {
        // Only the oldest entry's time is read (binding the whole entry would copy it, its
        // message and payload retained, twice per append); the removed entry is moved out.
        while let oldest = entries.first?.at, isOverLimits(oldest: oldest, now: now) {
            bytes -= entries.removeFirst().bytes
        }
    }

    private func isOverLimits(oldest: SessionInstant, now: SessionInstant) -> Bool {
        if entries.count > limits.maxMessages || bytes > limits.maxBytes { return true }
        let age = now.nanoseconds > oldest.nanoseconds ? now.nanoseconds - oldest.nanoseconds : 0
        return age > maxAgeNanoseconds
    }

    enum Recovery {
        case recovered([CourierMessage])
        case failed
    }

    /// The messages from `offset` on, if all of them are still here.
    mutating func messages(from offset: UInt64, epoch: UInt64, now: SessionInstant) -> Recovery {
        prune(now: now)
        guard epoch == self.epoch else { return .failed }
        let oldest = entries.first?.offset ?? nextOffset
        guard offset >= oldest, offset <= nextOffset else { return .failed }
        return .recovered(entries.filter { $0.offset >= offset }.map(\.message))
    }

    /// Where the live stream stands and, if `recover` asks and everything from there
    /// is still here, the messages missed (`Broker.history`).
    mutating func read(recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
        var read = HistoryRead(epoch: epoch, nextOffset: nextOffset, missed: nil)
        if let recover, case .recovered(let missed) = messages(from: recover.offset, epoch: recover.epoch, now: now) {
            read.missed = missed
        }
        return read
    }

    static func payloadSize(_ message: CourierMessage) -> Int {
        message.dataPayload?.readableBytes ?? 0
    }

    /// `message` with its payload in storage of its own: copied when it is a slice of a
    /// larger buffer (a read buffer of many messages), kept when its storage is hardly
    /// bigger than the payload (a single-message frame, unmasked into storage of its
    /// own): kept messages never pin more than twice their payload plus 64 bytes.
    static func compacted(_ message: CourierMessage) -> CourierMessage {
        guard let payload = message.dataPayload, payload.storageCapacity > 2 * payload.readableBytes + 64 else { return message }
        return message.replacingPayload(ByteBuffer(buffer: payload))
    }
}

extension ByteBuffer {
    /// A copy of `buffer`'s readable bytes in storage of its own.
    init(buffer: ByteBuffer) {
        self.init(bytes: buffer.readableBytesView)
    }
}
