/// The sending side of v2 implicit sequences (`docs/PROTOCOL.md` §4): drops the
/// explicit sequence of a reliable message that directly follows the previous
/// reliable message written on this connection. One per connection and direction.
public struct SequenceCompressor: Sendable, Hashable {
    public private(set) var lastOnWire: UInt32?

    public init() {}

    /// Starts as if `previous` had just been written (for measurements and tests).
    public init(previous: UInt32) { self.lastOnWire = previous }

    /// Call just before encoding each message, in the order they are written.
    public mutating func compress(_ header: inout MessageHeader, version: ProtocolVersion) {
        guard version == .v2, header.isReliable, let sequence = header.sequence else { return }
        if let last = lastOnWire, SequenceResolver.successor(of: last) == sequence {
            header.sequence = nil
        }
        lastOnWire = sequence
    }
}
