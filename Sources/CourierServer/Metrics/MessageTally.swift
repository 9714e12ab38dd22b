import CourierWire

/// Messages and bytes by message type, counted by one event loop's connections
/// between two reports to `ServerMetrics` (`LoopMetrics`: a switch and two array slots
/// per message, no label formatting, no dictionary, no atomic on the hot path).
struct MessageTally {
    /// The `type` label of each slot: the known types in snake case, then `unknown`.
    static let typeLabels = [
        "handshake", "handshake_response", "heartbeat", "close", "challenge", "error", "window_update",
        "text_data", "binary_data", "delta_update",
        "subscribe", "unsubscribe", "acknowledge", "subscribe_result",
        "unknown",
    ]
    static let slotCount = typeLabels.count

    var messages = [Int](repeating: 0, count: slotCount)
    var bytes = [Int](repeating: 0, count: slotCount)
    /// Bit `slot` is set when that slot counted something since the last report (a
    /// report visits only those: usually one or two of the 15).
    var dirtySlots: UInt16 = 0
    var isDirty: Bool { dirtySlots != 0 }

    mutating func add(_ type: MessageType, bytes count: Int) {
        let slot = Self.slot(of: type)
        messages[slot] &+= 1
        bytes[slot] &+= count
        dirtySlots |= 1 << slot
    }

    static func slot(of type: MessageType) -> Int {
        switch type.rawValue {
        case 0x0001...0x0007: return Int(type.rawValue) - 1
        case 0x0101...0x0103: return Int(type.rawValue) - 0x0101 + 7
        case 0x0201...0x0204: return Int(type.rawValue) - 0x0201 + 10
        default: return 14
        }
    }
}
