import CourierWire

/// The credit a sender holds (`docs/PROTOCOL.md` §16.3): how many more data messages,
/// and how many more payload bytes, the peer has agreed to receive.
///
/// A sender checks `allows(bytes:)` before committing a data message to the wire and
/// then `spend`s; the peer's `WindowUpdate`s `grant` more. Credit counts data messages
/// (TextData, BinaryData, DeltaUpdate) and their `payload` field only.
///
/// `unlimited` stands for "the peer has not turned flow control on": every message is
/// allowed. The first `grant` on an unlimited credit makes it limited, starting from
/// zero plus that update. Arithmetic saturates: no peer input traps or wraps.
public struct SendCredit: Hashable, Sendable {
    private var limited: Bool
    /// Data messages that may still be sent (0 while unlimited).
    public private(set) var messages: Int64
    /// Payload bytes that may still be sent (0 while unlimited).
    public private(set) var bytes: Int64

    /// No flow control: every message is allowed and spending costs nothing.
    public static var unlimited: SendCredit { SendCredit(limited: false, messages: 0, bytes: 0) }

    /// A limited credit of `messages` and `bytes` (negative values count as 0).
    public init(messages: Int64, bytes: Int64) {
        self.init(limited: true, messages: max(0, messages), bytes: max(0, bytes))
    }

    private init(limited: Bool, messages: Int64, bytes: Int64) {
        self.limited = limited
        self.messages = messages
        self.bytes = bytes
    }

    public var isUnlimited: Bool { !limited }

    /// Whether a data message with `bytes` of payload may be sent now: at least 1 message
    /// and `bytes` of byte credit are left (always, while unlimited).
    public func allows(bytes: Int) -> Bool {
        guard limited else { return true }
        return messages >= 1 && self.bytes >= Int64(max(0, bytes))
    }

    /// Spends 1 message and `bytes` of credit on a data message being sent. Calling it
    /// for a message that `allows(bytes:)` refuses is a programming error.
    public mutating func spend(bytes: Int) {
        precondition(allows(bytes: bytes), "a data message was sent beyond its credit")
        guard limited else { return }
        messages -= 1
        self.bytes -= Int64(max(0, bytes))
    }

    /// Adds the credit of a `WindowUpdate`. A non-zero channel is reserved and ignored.
    /// On an unlimited credit, the first grant turns flow control on: the credit
    /// becomes exactly what this update grants.
    public mutating func grant(_ update: WindowUpdate) {
        guard update.channel == 0 else { return }
        if !limited {
            limited = true
            messages = 0
            bytes = 0
        }
        messages = Self.saturatingAdd(messages, Int64(update.messages))
        bytes = Self.saturatingAdd(bytes, Int64(update.bytes))
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

extension SendCredit: CustomStringConvertible {
    public var description: String {
        limited ? "\(messages) messages, \(bytes) bytes" : "unlimited"
    }
}
