import Crypto

/// A bounded FIFO memory of accepted HMAC proofs, to tell a replayed proof (209) from
/// a merely wrong one (202) (`docs/PROTOCOL.md` §11.1).
///
/// Entries are SHA-256 digests of the (key id, proof) pair, so the guard holds no MAC
/// that could be replayed if memory were disclosed, and its lookups compare digests
/// rather than attacker-chosen prefixes of a MAC. When full, the oldest entry is
/// forgotten first. Not thread-safe: ``Authenticator`` keeps it behind a lock.
struct ReplayGuard {
    let capacity: Int
    private var members: Set<SHA256Digest> = []
    private var order: [SHA256Digest] = []
    /// Index in `order` of the oldest entry once `order` is full.
    private var oldest = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "AuthConfiguration validates the capacity")
        self.capacity = capacity
        order.reserveCapacity(min(capacity, 1024))
    }

    /// How many proofs are remembered.
    var count: Int { order.count }

    /// True when `mac` was accepted for `keyID` and not yet forgotten.
    func contains(keyID: String, mac: [UInt8]) -> Bool {
        members.contains(Self.entry(keyID: keyID, mac: mac))
    }

    /// Remembers an accepted proof, forgetting the oldest one when full.
    mutating func remember(keyID: String, mac: [UInt8]) {
        let entry = Self.entry(keyID: keyID, mac: mac)
        guard members.insert(entry).inserted else { return }
        if order.count < capacity {
            order.append(entry)
        } else {
            members.remove(order[oldest])
            order[oldest] = entry
            oldest = (oldest + 1) % capacity
        }
    }

    private static func entry(keyID: String, mac: [UInt8]) -> SHA256Digest {
        var hash = SHA256()
        let id = Array(keyID.utf8)
        // Length-prefix the key id so that (id, mac) pairs cannot collide by shifting bytes.
        hash.update(data: [UInt8(truncatingIfNeeded: id.count >> 8), UInt8(truncatingIfNeeded: id.count)])
        hash.update(data: id)
        hash.update(data: mac)
        return hash.finalize()
    }
}
