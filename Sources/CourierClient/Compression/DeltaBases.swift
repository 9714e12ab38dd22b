import CourierCompression
import NIOCore

/// The DeltaUpdate values a client holds as bases for the server's deltas (§20.3),
/// per topic and key, within a byte budget. Lives on the client's event loop.
struct DeltaBases {
    struct Base {
        var version: UInt32
        var value: ByteBuffer
    }

    let budget: Int
    private var values: [String: Base] = [:]
    private(set) var bytes = 0
    /// Keys with a SnapshotRequest in flight (their deltas are dropped until it comes),
    /// and the newest version dropped meanwhile.
    private var awaiting: [String: UInt32] = [:]

    init(budget: Int) {
        self.budget = budget
    }

    static func key(topic: String, key: String) -> String { topic + "\u{0}" + key }

    func base(_ key: String) -> Base? { values[key] }

    /// Keeps `value` as version `version` of `key` (version 0: forgets the key).
    /// Returns the newest version dropped while a snapshot was awaited, when it is newer
    /// than this value (the caller asks again: the application must end with the latest).
    @discardableResult
    mutating func keep(_ key: String, version: UInt32, value: ByteBuffer) -> UInt32? {
        let dropped = awaiting.removeValue(forKey: key)
        defer { store(key, version: version, value: value) }
        guard let dropped, version != 0, dropped > version else { return nil }
        return dropped
    }

    private mutating func store(_ key: String, version: UInt32, value: ByteBuffer) {
        if let old = values.removeValue(forKey: key) { bytes -= Self.cost(key, old.value) }
        guard version != 0 else { return }
        let cost = Self.cost(key, value)
        guard bytes + cost <= budget else { return }
        values[key] = Base(version: version, value: value)
        bytes += cost
    }

    /// Marks a snapshot as requested for a delta of `version` that could not be
    /// applied; false when one already is (the request in flight will do).
    mutating func requestSnapshot(_ key: String, version: UInt32) -> Bool {
        if let pending = awaiting[key] {
            awaiting[key] = max(pending, version)
            return false
        }
        awaiting[key] = version
        return true
    }

    /// A new connection: requests in flight on the old one are gone.
    mutating func connectionChanged() { awaiting.removeAll() }

    private static func cost(_ key: String, _ value: ByteBuffer) -> Int { key.utf8.count + value.readableBytes + 64 }
}
