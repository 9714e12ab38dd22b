import CourierCompression
import NIOCore

/// The latest value of every DeltaUpdate key, per topic (`docs/PROTOCOL.md` §20.3): it
/// numbers each key's values (`version`), makes the delta from the previous value once
/// per publication (shared by every subscriber that holds that base), and answers
/// SnapshotRequests. Bounded: keys per topic, bytes per value, bytes in all; a key that
/// does not fit makes room by forgetting another key of its topic, or goes unversioned
/// (version 0: subscribers get full values, nothing breaks). Not thread-safe: the broker
/// calls it under its lock.
struct DeltaStore {
    /// One key's latest value.
    struct Entry: Sendable {
        var version: UInt32
        var value: ByteBuffer
        var checksum: UInt32
    }

    /// What one recorded value becomes on the wire.
    struct Recorded: Sendable {
        /// 0 when the value is not remembered.
        var version: UInt32
        /// The DELTA payload (format byte and delta) from `version - 1`, when smaller than the value.
        var delta: ByteBuffer?
    }

    private struct Topic {
        var keys: [String: Entry] = [:]
        /// Above every version any key of this topic ever had, so a key that is forgotten
        /// and comes back never repeats a version its subscribers may still hold.
        var nextFresh: UInt32
    }

    let limits: ServerCompression
    private var topics: [String: Topic] = [:]
    private(set) var totalBytes = 0
    /// Values that could not be remembered (over a limit).
    private(set) var unversioned = 0

    init(limits: ServerCompression) {
        self.limits = limits
    }

    /// Remembers `value` as the latest of `key` on `topic` and numbers it.
    mutating func record(topic: String, key: String, value: ByteBuffer, checksum: UInt32) -> Recorded {
        let size = Self.cost(key: key, value: value)
        guard value.readableBytes <= limits.deltaValueBytes else {
            forget(topic: topic, key: key)
            unversioned += 1
            return Recorded(version: 0, delta: nil)
        }
        var entryTopic = topics[topic] ?? Topic(nextFresh: UInt32.random(in: 1...(1 << 30)))
        let previous = entryTopic.keys[key]
        if let previous {
            totalBytes -= Self.cost(key: key, value: previous.value)
        } else {
            // Room for a new key: forget others of this topic (never other topics' keys).
            while entryTopic.keys.count >= limits.deltaKeysPerTopic || totalBytes + size > limits.deltaTotalBytes,
                  let victim = entryTopic.keys.first(where: { $0.key != key }) {
                totalBytes -= Self.cost(key: victim.key, value: victim.value.value)
                entryTopic.keys[victim.key] = nil
            }
            guard totalBytes + size <= limits.deltaTotalBytes else {
                topics[topic] = entryTopic.keys.isEmpty ? nil : entryTopic
                unversioned += 1
                return Recorded(version: 0, delta: nil)
            }
        }
        var version: UInt32
        var delta: ByteBuffer?
        if let previous, previous.version != UInt32.max {
            version = previous.version + 1
            delta = DeltaPayload.create(from: previous.value, to: value, formats: limits.deltaFormats)
        } else {
            version = entryTopic.nextFresh
            if version == UInt32.max { version = 1 }  // wrapped: a fresh start (subscribers' checksums catch a stale base)
        }
        entryTopic.nextFresh = max(entryTopic.nextFresh, version &+ 1)
        if entryTopic.nextFresh == 0 { entryTopic.nextFresh = 1 }
        entryTopic.keys[key] = Entry(version: version, value: value, checksum: checksum)
        totalBytes += size
        topics[topic] = entryTopic
        return Recorded(version: version, delta: delta)
    }

    /// The latest value of `key` on `topic`.
    func latest(topic: String, key: String) -> Entry? {
        topics[topic]?.keys[key]
    }

    private mutating func forget(topic: String, key: String) {
        guard let old = topics[topic]?.keys.removeValue(forKey: key) else { return }
        totalBytes -= Self.cost(key: key, value: old.value)
    }

    /// What a remembered value costs against `totalBytes` (key, value and about 64 bytes of bookkeeping).
    static func cost(key: String, value: ByteBuffer) -> Int {
        key.utf8.count + value.readableBytes + 64
    }
}
