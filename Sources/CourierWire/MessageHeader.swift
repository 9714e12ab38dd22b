/// The header fields of a Courier message, independent of the header version.
///
/// v1 carries every field on every message (`sessionID` and `timestamp` may be 0);
/// v2 carries a field only when it is non-nil. A reliable message (`.ackRequested`)
/// with a nil `sequence` has the implicit sequence *previous + 1* (v2 only,
/// `docs/PROTOCOL.md` §4); `SequenceResolver` fills it in.
public struct MessageHeader: Hashable, Sendable {
    public var flags: MessageFlags
    public var sessionID: UInt64?
    public var sequence: UInt32?
    /// Microseconds since the Unix epoch, UTC.
    public var timestamp: UInt64?

    public init(flags: MessageFlags = [], sessionID: UInt64? = nil, sequence: UInt32? = nil, timestamp: UInt64? = nil) {
        self.flags = flags
        self.sessionID = sessionID
        self.sequence = sequence
        self.timestamp = timestamp
    }

    public var isReliable: Bool { flags.contains(.ackRequested) }
}
