import DequeModule

/// A connection's data queues (`docs/PROTOCOL.md` §16.2): one FIFO per channel, each
/// bounded in payload bytes, plus a bound for the whole connection; the topic's
/// policy decides what a full queue does. Channels are served round robin, so a
/// saturated channel delays a sibling's message by at most one message. Drops are
/// counted per channel and come out, in order, as gap notices before the channel's
/// next message. A value type; the connection handler owns it on its event loop.
struct DataQueues {
    struct Limits: Sendable, Hashable {
        var bytesPerChannel: Int
        var bytesPerConnection: Int
        init(bytesPerChannel: Int = 256 << 10, bytesPerConnection: Int = 1 << 20) {
            self.bytesPerChannel = bytesPerChannel
            self.bytesPerConnection = bytesPerConnection
        }
    }

    enum EnqueueResult: Equatable {
        case queued
        /// Queued after dropping (or replacing) this many older messages of the channel.
        case queuedDropping(Int)
        /// Did not fit and was itself dropped (counted).
        case dropped
        /// The topic's policy is `disconnect` and the message does not fit.
        case disconnect
    }

    enum Item {
        /// `dropped` messages of `channel` were dropped since its last message went out.
        case gap(channel: UInt32, dropped: Int)
        case data(QueuedDelivery)
    }

    private struct ChannelQueue {
        var entries = Deque<QueuedDelivery>()
        /// The id of `entries.first`; ids grow by one per appended entry.
        var firstID: UInt64 = 0
        var bytes = 0
        var dropped = 0
        /// keepLatest: key → id of the queued entry with that key.
        var latest: [String: UInt64] = [:]
        var inRing = false

        mutating func removeFirst() -> QueuedDelivery {
            let entry = entries.removeFirst()
            if let key = entry.publication.key, latest[key] == firstID { latest[key] = nil }
            firstID &+= 1
            bytes -= entry.publication.bytes
            return entry
        }
    }

    let limits: Limits
    private var channels: [UInt32: ChannelQueue] = [:]
    /// Channels with something to send (a message or a gap notice), in service order.
    private var ring = Deque<UInt32>()
    private(set) var totalBytes = 0
    private(set) var totalCount = 0
    /// Messages dropped by a policy since the queues were made.
    private(set) var droppedTotal = 0

    init(limits: Limits = Limits()) { self.limits = limits }

    var isEmpty: Bool { ring.isEmpty }

    /// Queues a delivery under its publication's policy.
    mutating func enqueue(_ delivery: QueuedDelivery) -> EnqueueResult {
        let bytes = delivery.publication.bytes
        let channelID = delivery.channel
        var queue = channels.removeValue(forKey: channelID) ?? ChannelQueue()
        defer {
            if !queue.inRing && (!queue.entries.isEmpty || queue.dropped > 0) {
                queue.inRing = true
                ring.append(channelID)
            }
            channels[channelID] = queue
        }
        let policy = delivery.publication.policy
        // keepLatest replaces a queued message with the same key at its place.
        if let key = delivery.publication.key, let id = queue.latest[key], id >= queue.firstID {
            let index = Int(id - queue.firstID)
            let old = queue.entries[index].publication.bytes
            if queue.bytes - old + bytes <= limits.bytesPerChannel && totalBytes - old + bytes <= limits.bytesPerConnection {
                queue.entries[index] = delivery
                queue.bytes += bytes - old
                totalBytes += bytes - old
                queue.dropped += 1
                droppedTotal += 1
                return .queuedDropping(1)
            }
        }
        // An empty channel takes one message however large, and so do empty queues (both
        // bounded by the maximum message size): a large message is never refused outright.
        func fits() -> Bool {
            (queue.entries.isEmpty || queue.bytes + bytes <= limits.bytesPerChannel)
                && (totalCount == 0 || totalBytes + bytes <= limits.bytesPerConnection)
        }
        var evicted = 0
        if !fits() {
            if policy == .disconnect { return .disconnect }
            // Only the channel's own messages make room: a saturated channel cannot push out a sibling's.
            while !fits(), !queue.entries.isEmpty {
                let old = queue.removeFirst()
                totalBytes -= old.publication.bytes
                totalCount -= 1
                evicted += 1
            }
            queue.dropped += evicted
            droppedTotal += evicted
            if !fits() {
                queue.dropped += 1
                droppedTotal += 1
                return .dropped
            }
        }
        if let key = delivery.publication.key {
            queue.latest[key] = queue.firstID &+ UInt64(queue.entries.count)
        }
        queue.entries.append(delivery)
        queue.bytes += bytes
        totalBytes += bytes
        totalCount += 1
        return evicted == 0 ? .queued : .queuedDropping(evicted)
    }

    /// The next thing to send, round robin over the channels: the channel's oldest
    /// message if `allows(bytes)` (credit) says it may go, preceded by its gap notice
    /// if messages were dropped (a channel left with nothing but a notice sends it
    /// alone). Nil when nothing may go now.
    mutating func next(allows: (Int) -> Bool) -> Item? {
        var skipped = 0
        while skipped < ring.count, let channelID = ring.first {
            var queue = channels.removeValue(forKey: channelID)!
            let headAllowed = queue.entries.first.map { allows($0.publication.bytes) }
            // The notice goes just before the channel's next message, or alone once it is empty.
            if queue.dropped > 0, headAllowed != false {
                let dropped = queue.dropped
                queue.dropped = 0
                settle(channelID, &queue)
                return .gap(channel: channelID, dropped: dropped)
            }
            guard headAllowed == true else {
                // Credit is per connection: if this head does not fit, a smaller one elsewhere may.
                channels[channelID] = queue
                ring.append(ring.removeFirst())
                skipped += 1
                continue
            }
            let entry = queue.removeFirst()
            totalBytes -= entry.publication.bytes
            totalCount -= 1
            ring.removeFirst()
            queue.inRing = false
            if !queue.entries.isEmpty || queue.dropped > 0 {
                queue.inRing = true
                ring.append(channelID)
            }
            channels[channelID] = queue
            return .data(entry)
        }
        return nil
    }

    /// After taking a gap notice from the ring's first channel: keeps it in turn if it
    /// still has messages, otherwise forgets it.
    private mutating func settle(_ channelID: UInt32, _ queue: inout ChannelQueue) {
        if queue.entries.isEmpty {
            ring.removeFirst()
            queue.inRing = false
            queue.latest.removeAll()
        }
        channels[channelID] = queue
    }

    /// Everything still queued, in service order, leaving the queues empty (a session
    /// detaching numbers the reliable ones into its replay buffer).
    mutating func removeAll() -> [QueuedDelivery] {
        var all: [QueuedDelivery] = []
        all.reserveCapacity(totalCount)
        while let item = next(allows: { _ in true }) {
            if case .data(let entry) = item { all.append(entry) }
        }
        channels.removeAll()
        return all
    }

    /// Forgets a channel (unsubscribed): its queued messages are dropped without notice.
    mutating func removeChannel(_ channelID: UInt32) {
        guard let queue = channels.removeValue(forKey: channelID) else { return }
        totalBytes -= queue.bytes
        totalCount -= queue.entries.count
        if queue.inRing, let index = ring.firstIndex(of: channelID) { ring.remove(at: index) }
    }
}
