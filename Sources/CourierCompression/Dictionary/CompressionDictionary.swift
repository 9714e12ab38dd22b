/// A preset dictionary for per-message deflate: bytes that typical messages share, given
/// to zlib before each message so that even a first, short message finds matches.
///
/// Identified by `id` (which dictionary: e.g. one per topic family) and `version` (which
/// training of it), so that both sides of a connection can agree on it in the handshake.
/// At most 32 KiB: deflate's window is 32 KiB and bytes further back are never used.
public struct CompressionDictionary: Hashable, Sendable {
    /// Deflate's largest window; a longer dictionary would be cut to its last 32 KiB.
    public static let maximumSize = 32 * 1_024

    public let id: UInt32
    public let version: UInt32
    /// The dictionary content. The most useful bytes are at the end (deflate's matches
    /// are cheapest at short distances).
    public let bytes: [UInt8]

    /// Throws `CompressionDictionaryError.tooLarge` past `maximumSize` bytes.
    public init(id: UInt32, version: UInt32, bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumSize else {
            throw CompressionDictionaryError.tooLarge(size: bytes.count, limit: Self.maximumSize)
        }
        self.id = id
        self.version = version
        self.bytes = bytes
    }

    /// CRC-32 of `bytes` (the value stored in the dictionary file).
    public var checksum: UInt32 { bytes.withUnsafeBytes { CRC32.checksum($0) } }
}
