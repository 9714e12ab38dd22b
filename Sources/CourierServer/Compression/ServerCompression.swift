import CourierCompression

/// Compression and deltas (`docs/PROTOCOL.md` §20, docs/COMPRESSION.md): the preset
/// dictionaries the server holds, the delta formats it produces, and the bounds of the
/// state deltas need. The server never compresses on its own: publishers compress,
/// and it forwards the compressed payload to subscribers that agreed to its dictionary
/// (and the inflated one to the others). It does compute deltas, once per
/// publication, for subscribers that hold the previous value.
public struct ServerCompression: Sendable {
    /// Off: no compression extension in the HandshakeResponse, so no COMPRESSED data
    /// and no deltas on any connection.
    public var enabled = true
    /// At most 16 (what one handshake extension can name); ids unique and not 0.
    public var dictionaries: [CompressionDictionary] = []
    public var deltaFormats: DeltaFormats = .all
    /// DeltaUpdate keys whose latest value is kept, per topic.
    public var deltaKeysPerTopic = 10_000
    /// Larger values are not kept (they always go whole).
    public var deltaValueBytes = 64 * 1_024
    /// Bytes of kept keys and values in all topics.
    public var deltaTotalBytes = 64 * 1_024 * 1_024
    /// Per connection: how many keys' last sent version it remembers (beyond that, new
    /// keys go whole every time). About 100 bytes a key (a hash-table slot, and the
    /// topic-and-key string when it is longer than 15 bytes): the default keeps this
    /// state under 64 KiB per connection.
    public var deltaKeysPerConnection = 512

    public init() {}

    func validate() throws(ServerConfiguration.Invalid) {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws(ServerConfiguration.Invalid) {
            if !ok { throw ServerConfiguration.Invalid(key: key, problem: problem) }
        }
        try check(dictionaries.count <= CompressionOffer.maximumDictionaries, "compression.dictionaries", "at most \(CompressionOffer.maximumDictionaries), got \(dictionaries.count)")
        try check(!dictionaries.contains { $0.id == 0 }, "compression.dictionaries", "id 0 is reserved (no dictionary)")
        try check(Set(dictionaries.map(\.id)).count == dictionaries.count, "compression.dictionaries", "two dictionaries have the same id")
        try check(deltaKeysPerTopic > 0, "compression.deltaKeysPerTopic", "must be positive, got \(deltaKeysPerTopic)")
        try check(deltaValueBytes > 0, "compression.deltaValueBytes", "must be positive, got \(deltaValueBytes)")
        try check(deltaTotalBytes >= deltaValueBytes, "compression.deltaTotalBytes", "must be at least deltaValueBytes (\(deltaValueBytes)), got \(deltaTotalBytes)")
        try check(deltaKeysPerConnection >= 0, "compression.deltaKeysPerConnection", "must not be negative, got \(deltaKeysPerConnection)")
    }

    /// The dictionary with `id`, for inflating what a client sent (0: none).
    func dictionary(id: UInt32) -> CompressionDictionary? {
        dictionaries.first { $0.id == id }
    }
}
