import CourierCompression
import CourierDatasets
import NIOCore

/// What `courier bench compression` measures on one dataset. Every number is computed
/// from the generated messages; nothing is assumed.
///
/// The first `trainingFraction` of the stream trains the dictionaries; the rest is
/// measured as one new connection would see it: the streaming baseline starts with an
/// empty window and the delta paths with no base (the first value of each key is sent
/// whole).
struct CompressionMeasurement {
    struct Options {
        var count: Int
        var seed: UInt64
        var dictionarySize: Int
        var trainingFraction = 0.2
        /// COVER parameters of the value dictionary and of the delta dictionary.
        var trainer = DictionaryTrainer()
        var deltaTrainer = DictionaryTrainer()
        var configuration = DeflateConfiguration()
        var minimumTimingSeconds = 0.5
    }

    /// Payload bytes on the wire for the measured messages, per method.
    struct Bytes {
        var raw = 0
        var deflate = 0
        var deflateDictionary = 0
        /// Fossil delta against the previous value of the key, or the value when that is smaller.
        var delta = 0
        /// Per message the smallest of: the Fossil delta deflated with the delta dictionary, the value deflated with the value dictionary.
        var deltaDeflate = 0
        /// The same with the value dictionary (not one trained on deltas) for the delta.
        var deltaDeflateValueDictionary = 0
        /// Deflate of the value with the key's previous value appended to the value dictionary (zlib as a delta coder).
        var baseDeflate = 0
        var streamDeflate = 0
        /// JSON field delta against the previous value of the key (`fieldDeltaChoice`), else the value deflated with the dictionary.
        var fieldDelta = 0
        /// Streaming deflate shrunk to the 64 KiB-per-connection budget (`smallStream`).
        var streamDeflateSmall = 0
        /// What Courier's server sends (PROTOCOL §20.3): the DELTA payload (format byte and
        /// the smaller of JSON field and Fossil delta) when the key has a base and it is
        /// smaller than the value, else the value.
        var wireDelta = 0
        /// The same, with the value COMPRESSED (dictionary id byte + deflate with the
        /// dictionary) whenever that is smaller: Courier on the wire.
        var wire = 0
    }

    /// The largest zlib parameters whose per-connection state (deflate + inflate) fits 64 KiB:
    /// deflate 2^15 + 2^14 = 48 KiB, inflate 2^13 + 7 KiB = 15 KiB.
    static let smallStream = DeflateConfiguration(level: 9, windowBits: 13, memLevel: 5)

    struct Timing {
        var deflateDictionaryEncode = 0.0
        var deflateDictionaryDecode = 0.0
        var deltaEncode = 0.0
        var deltaDecode = 0.0
        var streamEncode = 0.0
        var fieldDeltaEncode = 0.0
        var fieldDeltaDecode = 0.0
    }

    let kind: DatasetKind
    let measured: Int
    let trained: Int
    let averageMessageBytes: Double
    let dictionaryBytes: Int
    let deltaDictionaryBytes: Int
    let bytes: Bytes
    let timing: Timing
    /// Bytes the receiver keeps for the delta paths: the last value of each key.
    let deltaBaseBytes: Int
    let perLoopStateBytes: Int
    let streamStateBytes: Int
    let smallStreamStateBytes: Int
    /// How many measured messages went as a delta in the delta + deflate path.
    let deltaMessages: Int
    /// How many measured messages went as a field delta.
    let fieldDeltaMessages: Int
    /// What compression pays on short inputs: the average size of the first `size` bytes of
    /// measured messages after deflate, without and with the dictionary (never more than `size`).
    let shortInputs: [(size: Int, deflate: Double, deflateDictionary: Double)]
    static let shortInputSizes = [8, 16, 24, 32, 48, 64, 96]

    init(kind: DatasetKind, options: Options) throws {
        let messages = kind.generate(count: options.count, seed: options.seed)
        let split = max(1, Int(Double(messages.count) * options.trainingFraction))
        let training = Array(messages.prefix(split))
        let test = Array(messages.dropFirst(split))
        self.kind = kind
        self.trained = training.count
        self.measured = test.count

        var trainer = options.trainer
        trainer.dictionarySize = options.dictionarySize
        var deltaTrainer = options.deltaTrainer
        deltaTrainer.dictionarySize = options.dictionarySize
        let dictionary = try trainer.train(samples: training.map(\.bytes), id: 1, version: 1)
        let deltaDictionary = try deltaTrainer.train(samples: Self.consecutiveDeltas(training), id: 2, version: 1)
        dictionaryBytes = dictionary.bytes.count
        deltaDictionaryBytes = deltaDictionary.bytes.count

        let compressor = try MessageCompressor(configuration: options.configuration)
        let decompressor = try MessageDecompressor(windowBits: options.configuration.windowBits)
        let stream = try StreamingCompressor(configuration: DeflateConfiguration(level: options.configuration.level, windowBits: options.configuration.windowBits, memLevel: 8))
        let streamReceiver = try StreamingDecompressor(windowBits: options.configuration.windowBits)
        let smallStream = try StreamingCompressor(configuration: DeflateConfiguration(level: options.configuration.level, windowBits: Self.smallStream.windowBits, memLevel: Self.smallStream.memLevel))
        let smallStreamReceiver = try StreamingDecompressor(windowBits: Self.smallStream.windowBits)

        var bytes = Bytes()
        var bases: [String: [UInt8]] = [:]
        var deltaMessages = 0
        var fieldDeltaMessages = 0
        for message in test {
            let value = message.bytes
            bytes.raw += value.count
            bytes.deflate += try compressor.compress(value)?.count ?? value.count
            let fullDeflated = try compressor.compress(value, dictionary: dictionary)
            if let fullDeflated, try decompressor.decompress(fullDeflated, dictionary: dictionary, maxOutput: 1 << 20) != value {
                throw BenchFailure("deflate round trip failed")
            }
            let full = fullDeflated?.count ?? value.count
            bytes.deflateDictionary += full
            let streamed = try stream.compress(value)
            bytes.streamDeflate += streamed.count
            guard try streamReceiver.decompress(streamed, maxOutput: 1 << 20) == value else { throw BenchFailure("stream round trip failed") }
            let smallStreamed = try smallStream.compress(value)
            bytes.streamDeflateSmall += smallStreamed.count
            guard try smallStreamReceiver.decompress(smallStreamed, maxOutput: 1 << 20) == value else { throw BenchFailure("small stream round trip failed") }

            switch try Self.fieldDeltaChoice(value, base: bases[message.key], dictionary: dictionary, compressor: compressor) {
            case .fieldDelta(let delta):
                bytes.fieldDelta += delta.count
                fieldDeltaMessages += 1
            case .full(let payload, _):
                bytes.fieldDelta += payload.count
            }
            let compressedFull = fullDeflated.map { $0.count + 1 } ?? value.count  // + the dictionary id varint
            let wireDelta = bases[message.key].flatMap {
                DeltaPayload.create(from: ByteBuffer(bytes: $0), to: ByteBuffer(bytes: value), formats: .all)?.readableBytes
            }
            bytes.wireDelta += wireDelta ?? value.count
            bytes.wire += min(wireDelta ?? .max, compressedFull, value.count)
            if let base = bases[message.key] {
                let delta = FossilDelta.create(from: base, to: value)
                bytes.delta += min(delta.count, value.count)
                let deltaDeflated = try compressor.compress(delta, dictionary: deltaDictionary)?.count ?? delta.count
                if deltaDeflated < full { deltaMessages += 1 }
                bytes.deltaDeflate += min(deltaDeflated, full)
                bytes.deltaDeflateValueDictionary += min(try compressor.compress(delta, dictionary: dictionary)?.count ?? delta.count, full)
                bytes.baseDeflate += min(try Self.deflate(value, dictionary: dictionary.bytes, base: base, with: compressor) ?? value.count, full)
            } else {
                bytes.delta += value.count
                bytes.deltaDeflate += full
                bytes.deltaDeflateValueDictionary += full
                bytes.baseDeflate += full
            }
            bases[message.key] = value
        }
        self.bytes = bytes
        self.deltaMessages = deltaMessages
        self.fieldDeltaMessages = fieldDeltaMessages
        deltaBaseBytes = bases.values.reduce(0) { $0 + $1.count }
        averageMessageBytes = test.isEmpty ? 0 : Double(bytes.raw) / Double(test.count)
        perLoopStateBytes = options.configuration.deflateStateBytes + options.configuration.inflateStateBytes
        streamStateBytes = stream.stateBytesPerConnection + streamReceiver.stateBytesPerConnection
        smallStreamStateBytes = smallStream.stateBytesPerConnection + smallStreamReceiver.stateBytesPerConnection
        let sampled = test.prefix(2_000)
        shortInputs = try Self.shortInputSizes.map { size in
            let noSkip = try MessageCompressor(configuration: DeflateConfiguration(level: options.configuration.level, minimumInputSize: 0))
            var plain = 0
            var trained = 0
            for message in sampled {
                let prefix = Array(message.bytes.prefix(size))
                plain += try noSkip.compress(prefix)?.count ?? prefix.count
                trained += try noSkip.compress(prefix, dictionary: dictionary)?.count ?? prefix.count
            }
            let n = Double(max(sampled.count, 1))
            return (size, Double(plain) / n, Double(trained) / n)
        }
        timing = try CompressionTiming(
            test: test, dictionary: dictionary, deltaDictionary: deltaDictionary, configuration: options.configuration,
            minimumSeconds: options.minimumTimingSeconds
        ).run()
    }

    enum FieldDeltaChoice {
        case fieldDelta([UInt8])
        case full([UInt8], compressed: Bool)
    }

    /// The JSON field delta path as a sender runs it: the field delta against the key's
    /// previous value when there is one and it is at most a quarter of the value (then
    /// it always beats deflate, so deflate is not tried); otherwise the smaller of the
    /// field delta and the value deflated with the dictionary.
    static func fieldDeltaChoice(_ value: [UInt8], base: [UInt8]?, dictionary: CompressionDictionary, compressor: MessageCompressor) throws -> FieldDeltaChoice {
        let delta = base.flatMap { JSONFieldDelta.create(from: $0, to: value) }
        if let delta, delta.count * 4 <= value.count { return .fieldDelta(delta) }
        let deflated = try compressor.compress(value, dictionary: dictionary)
        let full = deflated ?? value
        if let delta, delta.count < full.count { return .fieldDelta(delta) }
        return .full(full, compressed: deflated != nil)
    }

    /// Fossil deltas between consecutive values of each key: what the delta dictionary is trained on.
    static func consecutiveDeltas(_ messages: [DatasetMessage]) -> [[UInt8]] {
        var last: [String: [UInt8]] = [:]
        var deltas: [[UInt8]] = []
        for message in messages {
            if let base = last[message.key] { deltas.append(FossilDelta.create(from: base, to: message.bytes)) }
            last[message.key] = message.bytes
        }
        return deltas
    }

    /// Deflate with the previous value as the nearest part of the preset dictionary.
    static func deflate(_ value: [UInt8], dictionary: [UInt8], base: [UInt8], with compressor: MessageCompressor) throws -> Int? {
        let preset = Array(dictionary.suffix(max(0, CompressionDictionary.maximumSize - base.count))) + base
        var output = [UInt8](repeating: 0, count: value.count)
        return try value.withUnsafeBytes { input in
            try preset.withUnsafeBytes { presetBytes in
                try output.withUnsafeMutableBytes { try compressor.compress(input, dictionaryBytes: presetBytes, into: $0) }
            }
        }
    }
}
