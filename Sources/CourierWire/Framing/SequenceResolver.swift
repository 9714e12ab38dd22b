/// Resolves v2 implicit sequences (`docs/PROTOCOL.md` §4): a reliable message
/// without an explicit sequence has the previous reliable message's sequence + 1,
/// counting messages received on this connection in this direction.
public struct SequenceResolver: Sendable, Hashable {
    public enum Resolution: Hashable, Sendable {
        /// Not a reliable message: no sequence.
        case unreliable
        case sequence(UInt32)
        /// An implicit sequence with no reliable message before it on this connection:
        /// a protocol violation (close 4003).
        case noPrevious
    }

    public private(set) var previous: UInt32?

    public init(previous: UInt32? = nil) { self.previous = previous }

    /// The sequence after `sequence`: 2^32 − 1 is followed by 1 (0 is never used).
    public static func successor(of sequence: UInt32) -> UInt32 {
        sequence == .max ? 1 : sequence + 1
    }

    public mutating func resolve(_ header: MessageHeader) -> Resolution {
        guard header.isReliable else { return .unreliable }
        if let explicit = header.sequence {
            previous = explicit
            return .sequence(explicit)
        }
        guard let previous else { return .noPrevious }
        let next = Self.successor(of: previous)
        self.previous = next
        return .sequence(next)
    }
}
