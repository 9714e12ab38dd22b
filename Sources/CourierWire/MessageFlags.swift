/// The message flags of `docs/PROTOCOL.md` §5 (bits 0–3 of the flags byte in both
/// header versions). Bits 4–7 are reserved in v1 and are field-presence bits in v2;
/// they never appear here.
public struct MessageFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The payload is compressed with the dictionary agreed in the handshake.
    public static let compressed = MessageFlags(rawValue: 0x01)
    /// The payload is end-to-end encrypted; the server routes it unread.
    public static let encrypted = MessageFlags(rawValue: 0x02)
    /// Reliable: carries a sequence, is kept for replay and must be acknowledged.
    public static let ackRequested = MessageFlags(rawValue: 0x04)
    /// DeltaUpdate only: the payload is a delta against the base value.
    public static let delta = MessageFlags(rawValue: 0x08)

    /// All bits that are message flags.
    public static let all: MessageFlags = [.compressed, .encrypted, .ackRequested, .delta]

    /// Names in bit order, as used by the test vectors and `courier inspect --json`.
    public var names: [String] {
        var result: [String] = []
        if contains(.compressed) { result.append("compressed") }
        if contains(.encrypted) { result.append("encrypted") }
        if contains(.ackRequested) { result.append("ack_requested") }
        if contains(.delta) { result.append("delta") }
        return result
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: "|") }
}
