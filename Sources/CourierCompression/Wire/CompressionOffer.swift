import NIOCore

/// The compression handshake extension (id 1, `docs/PROTOCOL.md` §20.1): in the
/// client's Handshake, what it can decode (the preset dictionaries it holds and the
/// delta formats it can apply); in the HandshakeResponse, what the server agreed to
/// (the dictionaries both hold with the same id and version, the delta formats both
/// know). Either side may then send COMPRESSED payloads with an agreed dictionary (or
/// with none, dictionary id 0), and the server sends DELTA updates in an agreed format.
///
/// Value layout (integers big-endian): `u8 deltaFormats` (bit 0 Fossil, bit 1 JSON
/// field delta; unknown bits are ignored), `u8 count` (at most 16), then `count` times
/// `u32 id` (not 0) and `u32 version`.
public struct CompressionOffer: Hashable, Sendable {
    /// The §7.15 extension id.
    public static let extensionID: UInt16 = 1
    /// Most dictionaries one offer lists.
    public static let maximumDictionaries = 16

    /// A dictionary as the handshake names it.
    public struct DictionaryName: Hashable, Sendable {
        public var id: UInt32
        public var version: UInt32
        public init(id: UInt32, version: UInt32) {
            self.id = id
            self.version = version
        }
    }

    public var deltaFormats: DeltaFormats
    public var dictionaries: [DictionaryName]

    public init(deltaFormats: DeltaFormats = .all, dictionaries: [DictionaryName] = []) {
        self.deltaFormats = deltaFormats
        self.dictionaries = dictionaries
    }

    /// An offer naming `dictionaries`.
    public init(deltaFormats: DeltaFormats = .all, holding dictionaries: [CompressionDictionary]) {
        self.init(deltaFormats: deltaFormats, dictionaries: dictionaries.map { DictionaryName(id: $0.id, version: $0.version) })
    }

    /// What a server holding `dictionaries` and able to produce `formats` agrees to.
    public func agreement(holding dictionaries: [CompressionDictionary], formats: DeltaFormats) -> CompressionOffer {
        let held = Set(dictionaries.map { DictionaryName(id: $0.id, version: $0.version) })
        return CompressionOffer(deltaFormats: deltaFormats.intersection(formats), dictionaries: self.dictionaries.filter { held.contains($0) })
    }

    /// Whether dictionary `id` is part of this agreement (0, no dictionary, always is).
    public func covers(dictionaryID id: UInt32) -> Bool {
        id == 0 || dictionaries.contains { $0.id == id }
    }

    /// The extension as it goes into a handshake message.
    public func encoded() throws(CompressionOfferError) -> ByteBuffer {
        guard dictionaries.count <= Self.maximumDictionaries else { throw .tooManyDictionaries(dictionaries.count) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(2 + 8 * dictionaries.count)
        buffer.writeInteger(deltaFormats.rawValue)
        buffer.writeInteger(UInt8(dictionaries.count))
        for name in dictionaries {
            guard name.id != 0 else { throw .dictionaryIDZero }
            buffer.writeInteger(name.id)
            buffer.writeInteger(name.version)
        }
        return buffer
    }

    /// Decodes an extension value; every defect is a `CompressionOfferError`.
    public init(decoding value: ByteBuffer) throws(CompressionOfferError) {
        var value = value
        guard let formats = value.readInteger(as: UInt8.self), let count = value.readInteger(as: UInt8.self) else { throw .truncated }
        guard count <= Self.maximumDictionaries else { throw .tooManyDictionaries(Int(count)) }
        var names: [DictionaryName] = []
        names.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let id = value.readInteger(as: UInt32.self), let version = value.readInteger(as: UInt32.self) else { throw .truncated }
            guard id != 0 else { throw .dictionaryIDZero }
            names.append(DictionaryName(id: id, version: version))
        }
        guard value.readableBytes == 0 else { throw .trailingBytes(value.readableBytes) }
        self.init(deltaFormats: DeltaFormats(rawValue: formats).intersection(.all), dictionaries: names)
    }
}

/// The delta formats of a DELTA payload's first byte (`docs/PROTOCOL.md` §20.3).
public struct DeltaFormats: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Fossil's delta format (any bytes).
    public static let fossil = DeltaFormats(rawValue: 1)
    /// `JSONFieldDelta` (compact JSON objects of the same shape).
    public static let jsonField = DeltaFormats(rawValue: 2)
    public static let all: DeltaFormats = [.fossil, .jsonField]
}

/// Why a compression extension value does not decode.
public enum CompressionOfferError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated
    case tooManyDictionaries(Int)
    case dictionaryIDZero
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .truncated: return "compression extension: truncated"
        case .tooManyDictionaries(let n): return "compression extension: \(n) dictionaries, at most \(CompressionOffer.maximumDictionaries)"
        case .dictionaryIDZero: return "compression extension: dictionary id 0 is reserved (no dictionary)"
        case .trailingBytes(let n): return "compression extension: \(n) bytes after the last dictionary"
        }
    }
}
