import CourierWire
import NIOCore

/// Runs the shared test vectors (`Tests/Vectors/wire-vectors.json`) against this
/// implementation: each valid vector must decode to its listed messages and
/// re-encode to the same bytes; each invalid one must fail with its error and offset.
public struct VectorSuite {
    public struct Outcome: Sendable {
        public let name: String
        public let passed: Bool
        public let detail: String
    }

    public let root: JSONValue

    public init(text: String) throws {
        root = try JSONValue.parse(text)
    }

    public var validCount: Int { if case .array(let a)? = root["valid"] { return a.count } else { return 0 } }
    public var invalidCount: Int { if case .array(let a)? = root["invalid"] { return a.count } else { return 0 } }

    public func run() -> [Outcome] {
        var outcomes: [Outcome] = []
        if case .array(let valid)? = root["valid"] { outcomes += valid.map(runValid) }
        if case .array(let invalid)? = root["invalid"] { outcomes += invalid.map(runInvalid) }
        return outcomes
    }

    func setup(_ vector: JSONValue) -> (name: String, version: ProtocolVersion, bytes: [UInt8], decoder: MessageDecoder)? {
        guard case .string(let name)? = vector["name"], case .number(let v)? = vector["version"],
              let version = ProtocolVersion(rawValue: UInt8(clamping: v)),
              case .string(let hex)? = vector["hex"], let bytes = try? Hex.decode(hex) else { return nil }
        var limits = WireLimits.default
        if case .number(let max)? = vector["limits"]?["max_message_bytes"] { limits.maxMessageBytes = Int(max) }
        if case .number(let max)? = vector["limits"]?["max_messages_per_frame"] { limits.maxMessagesPerFrame = Int(max) }
        return (name, version, bytes, MessageDecoder(version: version, limits: limits))
    }

    func runValid(_ vector: JSONValue) -> Outcome {
        guard let (name, version, bytes, decoder) = setup(vector) else {
            return Outcome(name: "?", passed: false, detail: "malformed vector: \(vector)")
        }
        let frame = ByteBuffer(bytes: bytes)
        let decoded: [DecodedMessage]
        do {
            decoded = try FrameReader.decodeAll(frame, decoder: decoder)
        } catch {
            return Outcome(name: name, passed: false, detail: "decoding failed: \(error)")
        }
        let rendered = JSONValue.array(decoded.map { MessageJSON.render($0, version: version) })
        guard let expected = vector["messages"], rendered == expected else {
            return Outcome(name: name, passed: false, detail: "decoded \(rendered)\nexpected \(vector["messages"] ?? .null)")
        }
        var output = ByteBuffer()
        let encoder = MessageEncoder(version: version)
        do {
            for item in decoded { try encoder.encode(item.message, into: &output, includeLength: item.hasLength) }
        } catch {
            return Outcome(name: name, passed: false, detail: "re-encoding failed: \(error)")
        }
        guard Array(output.readableBytesView) == bytes else {
            return Outcome(name: name, passed: false, detail: "re-encoded \(Hex.encode(output))\nexpected   \(Hex.encode(bytes))")
        }
        return Outcome(name: name, passed: true, detail: "\(decoded.count) message(s)")
    }

    func runInvalid(_ vector: JSONValue) -> Outcome {
        guard let (name, _, bytes, decoder) = setup(vector),
              case .string(let expectedCode)? = vector["error"], case .number(let expectedOffset)? = vector["offset"] else {
            return Outcome(name: "?", passed: false, detail: "malformed vector: \(vector)")
        }
        do {
            let decoded = try FrameReader.decodeAll(ByteBuffer(bytes: bytes), decoder: decoder)
            return Outcome(name: name, passed: false, detail: "decoded \(decoded.count) message(s); expected \(expectedCode) at \(expectedOffset)")
        } catch {
            guard error.code.rawValue == expectedCode, error.offset == Int(expectedOffset) else {
                return Outcome(name: name, passed: false, detail: "got \(error); expected \(expectedCode) at \(expectedOffset)")
            }
            return Outcome(name: name, passed: true, detail: error.description)
        }
    }
}
