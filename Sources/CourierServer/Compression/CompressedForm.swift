import NIOCore

/// A data message's payload as its publisher sent it COMPRESSED (`docs/PROTOCOL.md`
/// §20.2), kept beside the inflated payload: subscribers that agreed to
/// `dictionaryID` get these bytes as they are (no compressing per subscriber), the
/// others get the inflated payload.
public struct CompressedForm: Sendable {
    public var dictionaryID: UInt32
    /// The whole COMPRESSED payload (dictionary id varint and deflate stream), in its
    /// own storage (it never pins a read buffer).
    public var payload: ByteBuffer

    public init(dictionaryID: UInt32, payload: ByteBuffer) {
        self.dictionaryID = dictionaryID
        self.payload = payload
    }
}

/// The latest value of a DeltaUpdate key, as a SnapshotRequest gets it (§20.4).
public struct LatestValue: Sendable {
    public var version: UInt32
    public var value: ByteBuffer
    public var checksum: UInt32

    public init(version: UInt32, value: ByteBuffer, checksum: UInt32) {
        self.version = version
        self.value = value
        self.checksum = checksum
    }
}
