/// A Courier message type: a 16-bit value whose high byte is its class.
///
/// Values are fixed by `docs/PROTOCOL.md` §6. New types take free values in the
/// range of their class with a low byte below `0x40`, so that v2 can give them a
/// one-byte compact code (§6.1).
public struct MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // Control (0x00xx): never queued behind data.
    public static let handshake = MessageType(rawValue: 0x0001)
    public static let handshakeResponse = MessageType(rawValue: 0x0002)
    public static let heartbeat = MessageType(rawValue: 0x0003)
    public static let close = MessageType(rawValue: 0x0004)
    public static let challenge = MessageType(rawValue: 0x0005)
    public static let error = MessageType(rawValue: 0x0006)
    public static let windowUpdate = MessageType(rawValue: 0x0007)
    // Data (0x01xx).
    public static let textData = MessageType(rawValue: 0x0101)
    public static let binaryData = MessageType(rawValue: 0x0102)
    public static let deltaUpdate = MessageType(rawValue: 0x0103)
    // System (0x02xx).
    public static let subscribe = MessageType(rawValue: 0x0201)
    public static let unsubscribe = MessageType(rawValue: 0x0202)
    public static let acknowledge = MessageType(rawValue: 0x0203)
    public static let subscribeResult = MessageType(rawValue: 0x0204)
    public static let snapshotRequest = MessageType(rawValue: 0x0205)

    /// Every type this version of the protocol defines.
    public static let allKnown: [MessageType] = [
        .handshake, .handshakeResponse, .heartbeat, .close, .challenge, .error, .windowUpdate,
        .textData, .binaryData, .deltaUpdate,
        .subscribe, .unsubscribe, .acknowledge, .subscribeResult, .snapshotRequest,
    ]

    public enum Class: Sendable, Hashable {
        case control, data, system, reserved
    }

    public var typeClass: Class {
        switch rawValue >> 8 {
        case 0x00: return .control
        case 0x01: return .data
        case 0x02: return .system
        default: return .reserved
        }
    }

    public var isKnown: Bool {
        switch rawValue {
        case 0x0001...0x0007, 0x0101...0x0103, 0x0201...0x0205: return true
        default: return false
        }
    }

    public var isData: Bool { typeClass == .data }

    /// The flags a message of this type may carry (`docs/PROTOCOL.md` §5).
    public var allowedFlags: MessageFlags {
        switch self {
        case .deltaUpdate: return [.compressed, .encrypted, .ackRequested, .delta]
        case .textData, .binaryData: return [.compressed, .encrypted, .ackRequested]
        default: return []
        }
    }

    /// The v2 one-byte code: `(class << 6) | low`; nil when the type has none.
    public var compactCode: UInt8? {
        let high = rawValue >> 8
        let low = rawValue & 0xFF
        guard high <= 2, low < 0x40 else { return nil }
        return UInt8(high << 6 | low)
    }

    /// The type a v2 compact code stands for (known or not); nil for 0xC0–0xFF.
    public init?(compactCode: UInt8) {
        let high = UInt16(compactCode >> 6)
        guard high <= 2 else { return nil }
        self.init(rawValue: high << 8 | UInt16(compactCode & 0x3F))
    }

    public var name: String {
        switch self {
        case .handshake: return "Handshake"
        case .handshakeResponse: return "HandshakeResponse"
        case .heartbeat: return "Heartbeat"
        case .close: return "Close"
        case .challenge: return "Challenge"
        case .error: return "Error"
        case .windowUpdate: return "WindowUpdate"
        case .textData: return "TextData"
        case .binaryData: return "BinaryData"
        case .deltaUpdate: return "DeltaUpdate"
        case .subscribe: return "Subscribe"
        case .unsubscribe: return "Unsubscribe"
        case .acknowledge: return "Acknowledge"
        case .subscribeResult: return "SubscribeResult"
        case .snapshotRequest: return "SnapshotRequest"
        default: return "Unknown"
        }
    }

    public var description: String { "\(name) (0x\(hex4(rawValue)))" }
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
