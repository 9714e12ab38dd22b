import CourierCompression

extension CourierClient {
    /// What the client offers in the handshake and does with what the server agrees to
    /// (`docs/PROTOCOL.md` §20). Deltas are undone and compressed payloads inflated
    /// before `messages` sees them: the application always gets full, plain values.
    public struct Compression: Sendable {
        /// Preset dictionaries this client holds (the server agrees to those it holds too).
        public var dictionaries: [CompressionDictionary]
        /// Delta formats this client applies.
        public var deltaFormats: DeltaFormats
        /// Outgoing payloads of at least this many bytes are compressed (when that makes
        /// them smaller); nil: never compress outgoing data.
        public var compressAtLeast: Int?
        /// The agreed dictionary to compress with; nil: the first agreed, else none.
        public var preferredDictionary: UInt32?
        /// Bytes of DeltaUpdate values kept as bases for the server's deltas; a value
        /// that does not fit is not kept (its next delta asks for a snapshot instead).
        public var deltaBaseBytes: Int

        public init(
            dictionaries: [CompressionDictionary] = [], deltaFormats: DeltaFormats = .all, compressAtLeast: Int? = 256,
            preferredDictionary: UInt32? = nil, deltaBaseBytes: Int = 8 << 20
        ) {
            self.dictionaries = dictionaries
            self.deltaFormats = deltaFormats
            self.compressAtLeast = compressAtLeast
            self.preferredDictionary = preferredDictionary
            self.deltaBaseBytes = deltaBaseBytes
        }

        var offer: CompressionOffer { CompressionOffer(deltaFormats: deltaFormats, holding: dictionaries) }
    }
}
