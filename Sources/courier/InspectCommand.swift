import ArgumentParser
import CourierInspect
import CourierWire
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `courier inspect`: bytes in, decoded messages (or the exact error) out.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode Courier protocol bytes and show every field, or say exactly what is wrong.",
        discussion: """
        Input is one WebSocket message's payload (one or more Courier messages): hex as
        arguments, hex on standard input, or a binary file with --file. The header
        version is detected from the first bytes (0xC0D1 = v1) unless --protocol is given.
        Exit status: 0 when every message decodes, 1 when the input is invalid, 2 on a
        usage error. --vectors checks a test-vector file instead.

        Examples:
          courier inspect 0403830105
          courier inspect --file capture.bin --json
          courier inspect --vectors Tests/Vectors/wire-vectors.json
        """
    )

    @Argument(help: "Hex bytes (spaces, ':' and '0x' prefixes allowed). Read from standard input when absent.")
    var hex: [String] = []

    @Option(name: .long, help: "Read binary bytes from this file ('-' for standard input).")
    var file: String?

    @Option(name: [.customLong("protocol"), .customShort("p")], help: "Header version: 1 or 2 (default: detect).")
    var protocolVersion: UInt8?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .long, help: "Omit the hex dump of each message.")
    var noHex = false

    @Option(name: .long, help: "Largest body accepted, in bytes.")
    var maxMessageBytes: Int = WireLimits.default.maxMessageBytes

    @Option(name: .long, help: "Most messages accepted in one WebSocket message.")
    var maxMessagesPerFrame: Int = WireLimits.default.maxMessagesPerFrame

    @Option(name: .long, help: "Check every vector in this test-vector file and report.")
    var vectors: String?

    func validate() throws {
        if let v = protocolVersion, ProtocolVersion(rawValue: v) == nil {
            throw ValidationError("--protocol must be 1 or 2, got \(v)")
        }
        guard maxMessageBytes > 0, maxMessageBytes <= Int(UInt32.max) else {
            throw ValidationError("--max-message-bytes must be in 1...\(UInt32.max)")
        }
        guard maxMessagesPerFrame > 0 else { throw ValidationError("--max-messages-per-frame must be positive") }
    }

    func run() throws {
        if let vectors {
            try runVectors(path: vectors)
            return
        }
        let bytes = try readInput()
        let version = protocolVersion.flatMap(ProtocolVersion.init(rawValue:)) ?? Self.detect(bytes)
        let decoder = MessageDecoder(version: version, limits: WireLimits(maxMessageBytes: maxMessageBytes, maxMessagesPerFrame: maxMessagesPerFrame))
        var reader = FrameReader(frame: ByteBuffer(bytes: bytes), decoder: decoder)
        var decoded: [DecodedMessage] = []
        var failure: WireError?
        do {
            while let next = try reader.next() { decoded.append(next) }
        } catch {
            failure = error
        }
        if json {
            printJSON(decoded, failure: failure, version: version, byteCount: bytes.count)
        } else {
            printText(decoded, failure: failure, version: version, bytes: bytes)
        }
        if failure != nil { throw ExitCode(1) }
    }

    /// v1 messages start with the magic 0xC0D1; a v2 message never does (0xC0 would
    /// be flags HAS_SESSION|HAS_LENGTH with compact type 0xD1, which does not exist).
    static func detect(_ bytes: [UInt8]) -> ProtocolVersion {
        bytes.count >= 2 && bytes[0] == 0xC0 && bytes[1] == 0xD1 ? .v1 : .v2
    }

    func readInput() throws -> [UInt8] {
        if let file {
            if file == "-" { return readAllStandardInput() }
            guard let data = readFile(file) else {
                throw ValidationError("cannot read \(file): \(String(cString: strerror(errno)))")
            }
            return data
        }
        let text = hex.isEmpty ? String(decoding: readAllStandardInput(), as: UTF8.self) : hex.joined(separator: " ")
        do {
            return try Hex.decode(text)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func printText(_ decoded: [DecodedMessage], failure: WireError?, version: ProtocolVersion, bytes: [UInt8]) {
        print("\(bytes.count) bytes, protocol \(version), \(decoded.count) message(s) decoded" + (failure == nil ? "" : " before an error"))
        var resolver = SequenceResolver()
        for (index, item) in decoded.enumerated() {
            print("")
            let resolution = resolver.resolve(item.message.header)
            print(MessageText.render(item, index: index, count: decoded.count, version: version, frame: bytes, resolvedSequence: resolution, showHex: !noHex))
        }
        if let failure {
            print("")
            print(MessageText.render(error: failure, frame: bytes))
        }
    }

    func printJSON(_ decoded: [DecodedMessage], failure: WireError?, version: ProtocolVersion, byteCount: Int) {
        let object = JSONValue.object([
            ("protocol", .number(Int64(version.rawValue))),
            ("bytes", .number(Int64(byteCount))),
            ("messages", .array(decoded.map { item in
                guard case .object(var pairs) = MessageJSON.render(item, version: version) else { return .null }
                pairs.insert(("offset", .number(Int64(item.offset))), at: 0)
                pairs.insert(("length", .number(Int64(item.length))), at: 1)
                return .object(pairs)
            })),
            ("error", failure.map(MessageJSON.error) ?? .null),
        ])
        print(object.pretty)
    }

    func runVectors(path: String) throws {
        guard let data = readFile(path) else {
            throw ValidationError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let suite = try VectorSuite(text: String(decoding: data, as: UTF8.self))
        let outcomes = suite.run()
        let failed = outcomes.filter { !$0.passed }
        if json {
            print(JSONValue.object([
                ("valid", .number(Int64(suite.validCount))), ("invalid", .number(Int64(suite.invalidCount))),
                ("passed", .number(Int64(outcomes.count - failed.count))), ("failed", .number(Int64(failed.count))),
                ("failures", .array(failed.map { .object([("name", .string($0.name)), ("detail", .string($0.detail))]) })),
            ]).pretty)
        } else {
            for outcome in outcomes {
                print("\(outcome.passed ? "ok  " : "FAIL") \(outcome.name): \(outcome.detail.split(separator: "\n").joined(separator: "\n       "))")
            }
            print("\(suite.validCount) valid and \(suite.invalidCount) invalid vectors: \(outcomes.count - failed.count) passed, \(failed.count) failed")
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

func readAllStandardInput() -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        result += chunk[0..<n]
    }
    return result
}

func readFile(_ path: String) -> [UInt8]? {
    guard let handle = fopen(path, "rb") else { return nil }
    defer { fclose(handle) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
        if n == 0 { break }
        result += chunk[0..<n]
    }
    return result
}
