import ArgumentParser
import CourierCompression
import CourierDatasets
import CourierInspect
import CourierWire
import Foundation
import NIOCore

/// `courier bench compression`: payload bytes on the wire and CPU per message for each
/// compression method on the generated datasets (ticker, sensor, document).
struct CompressionBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compression",
        abstract: "Payload bytes and CPU per message: raw, deflate, deflate with a trained dictionary, Fossil delta, delta + deflate, JSON field delta, streaming deflate."
    )

    @Option(help: "Messages generated per dataset (the first 20% train the dictionaries).") var count = 20_000
    @Option(help: "Dataset seed.") var seed: UInt64 = DatasetGenerator.defaultSeed
    @Option(name: .customLong("dictionary-size"), help: "Largest trained dictionary in bytes.") var dictionarySize = 8 * 1_024
    @Option(help: "zlib level for every method.") var level = 9
    @Option(name: .customLong("mem-level"), help: "zlib memLevel of the per-message compressor (its hash table is cleared for every message).") var memLevel = DeflateConfiguration().memLevel
    @Option(help: "Segment length of the value dictionary (COVER's k).") var segment = DictionaryTrainer().segmentSize
    @Option(help: "d-mer length of the value dictionary (COVER's d).") var dmer = DictionaryTrainer().dmerSize
    @Option(name: .customLong("delta-segment"), help: "Segment length of the delta dictionary.") var deltaSegment = DictionaryTrainer().segmentSize
    @Option(name: .customLong("delta-dmer"), help: "d-mer length of the delta dictionary.") var deltaDmer = DictionaryTrainer().dmerSize
    @Option(help: "Datasets to measure.") var dataset: [DatasetKind] = DatasetKind.allCases
    @Flag(help: "Instead: bytes and encode CPU of deflate by dictionary size (0 to 32 KiB), timed round-robin in one process.") var sweep = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard count >= 10 else { throw ValidationError("--count must be at least 10") }
        guard (1...CompressionDictionary.maximumSize).contains(dictionarySize) else { throw ValidationError("--dictionary-size must be in 1...32768") }
    }

    func run() throws {
        if sweep { return try runSweep() }
        var options = CompressionMeasurement.Options(count: count, seed: seed, dictionarySize: dictionarySize, configuration: DeflateConfiguration(level: level, memLevel: memLevel))
        options.trainer = DictionaryTrainer(segmentSize: segment, dmerSize: dmer)
        options.deltaTrainer = DictionaryTrainer(segmentSize: deltaSegment, dmerSize: deltaDmer)
        var results: [CompressionMeasurement] = []
        for kind in dataset { results.append(try CompressionMeasurement(kind: kind, options: options)) }
        json ? printJSON(results) : printTable(results)
    }

    func runSweep() throws {
        var sweeps: [DictionarySweep] = []
        for kind in dataset { sweeps.append(try DictionarySweep(kind: kind, count: count, seed: seed, configuration: DeflateConfiguration(level: level, memLevel: memLevel))) }
        if json {
            let object = JSONValue.object([
                ("scenario", .string("compression_dictionary_sweep")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
                ("datasets", .object(sweeps.map { sweep in
                    (sweep.kind.rawValue, .array(sweep.rows.map {
                        .object([("dictionary_size", .number(Int64($0.size))), ("bytes", .number(Int64($0.bytes))),
                                 ("encode_us", .decimal(String(format: "%.2f", $0.encodeMicroseconds)))])
                    }))
                })),
            ])
            print(object.pretty)
            return
        }
        print("Per-message deflate by dictionary size (up to 4,000 measured messages each), \(BuildInfo.mode) build, \(BuildInfo.cores) cores, level \(level), memLevel \(memLevel)")
        for sweep in sweeps {
            print("")
            print(sweep.kind.rawValue + ": " + "dictionary".padding(12) + "bytes".padding(10) + "vs none".padding(9) + "encode µs")
            let none = sweep.rows.first?.bytes ?? 1
            for row in sweep.rows {
                print(String(repeating: " ", count: sweep.kind.rawValue.count + 2) + "\(row.size)".padding(12) + "\(row.bytes)".padding(10)
                      + Self.percent(row.bytes, of: none).padding(9) + String(format: "%.2f", row.encodeMicroseconds))
            }
        }
    }

    /// Bytes each message costs besides its payload, the same for every method: a v2
    /// DeltaUpdate on an established channel (implicit sequence, the key, version,
    /// CRC-32) in an unmasked WebSocket frame of under 126 bytes.
    static func headerBytes(key: String) throws -> Int {
        var header = MessageHeader(flags: .ackRequested, sequence: 1_000)
        var sequences = SequenceCompressor(previous: 999)
        sequences.compress(&header, version: .v2)
        let update = DeltaUpdate(route: .channel(5), key: key, version: 0, checksum: 0, payload: ByteBuffer())
        var buffer = ByteBuffer()
        try MessageEncoder(version: .v2).encode(CourierMessage(header: header, body: .deltaUpdate(update)), into: &buffer, includeLength: false)
        return buffer.readableBytes + WebSocketFraming.headerSize(payloadLength: 1, masked: false)
    }

    static func percent(_ part: Int, of whole: Int) -> String { whole == 0 ? "-" : String(format: "%.1f%%", Double(part) / Double(whole) * 100) }

    func printTable(_ results: [CompressionMeasurement]) {
        print("Payload bytes on the wire (headers excluded: they are the same for every method), \(BuildInfo.mode) build, \(BuildInfo.cores) cores")
        print("count \(count), seed \(seed), first 20% trains the dictionaries (\(dictionarySize) bytes max), zlib level \(level), window 15, memLevel \(memLevel) (streaming baseline: memLevel 8; 64 KiB stream: window 13, memLevel 5)")
        for result in results {
            let b = result.bytes
            print("")
            print("\(result.kind.rawValue): \(result.measured) messages measured, \(String(format: "%.1f", result.averageMessageBytes)) bytes average, dictionary \(result.dictionaryBytes) B, delta dictionary \(result.deltaDictionaryBytes) B")
            print("method".padding(31) + "bytes".padding(11) + "of raw".padding(9) + "B/msg".padding(8) + "state/connection")
            let rows: [(String, Int, String)] = [
                ("raw", b.raw, "0"),
                ("deflate (per message)", b.deflate, "0 (\(result.perLoopStateBytes / 1_024) KiB per event loop)"),
                ("deflate + dictionary", b.deflateDictionary, "0 (+ dictionary, shared)"),
                ("Courier DELTA payload", b.wireDelta, "\(result.deltaBaseBytes) (last value per key)"),
                ("Courier wire (delta/compressed)", b.wire, "\(result.deltaBaseBytes) (last value per key)"),
                ("Fossil delta", b.delta, "\(result.deltaBaseBytes) (last value per key)"),
                ("Fossil delta + deflate", b.deltaDeflate, "\(result.deltaBaseBytes) (last value per key)"),
                ("  same, value dictionary", b.deltaDeflateValueDictionary, ""),
                ("JSON field delta", b.fieldDelta, "\(result.deltaBaseBytes) (last value per key)"),
                ("deflate against previous value", b.baseDeflate, "\(result.deltaBaseBytes) (last value per key)"),
                ("streaming deflate (baseline)", b.streamDeflate, "\(result.streamStateBytes) (\(result.streamStateBytes / 1_024) KiB)"),
                ("streaming deflate, 64 KiB", b.streamDeflateSmall, "\(result.smallStreamStateBytes) (\(result.smallStreamStateBytes / 1_024) KiB)"),
            ]
            for (name, bytes, state) in rows {
                print(name.padding(31) + "\(bytes)".padding(11) + Self.percent(bytes, of: b.raw).padding(9)
                      + String(format: "%.1f", Double(bytes) / Double(max(result.measured, 1))).padding(8) + state)
            }
            print("deflate + dictionary / deflate: \(Self.percent(b.deflateDictionary, of: b.deflate)) (target <= 60%)")
            print("Courier wire (delta, else compressed value) / streaming deflate: \(Self.percent(b.wire, of: b.streamDeflate)) (target <= 50% on ticker and sensor)")
            print("Fossil delta + deflate / streaming deflate: \(Self.percent(b.deltaDeflate, of: b.streamDeflate)); \(result.deltaMessages) messages went as Fossil deltas")
            print("JSON field delta / streaming deflate: \(Self.percent(b.fieldDelta, of: b.streamDeflate)); \(result.fieldDeltaMessages) messages went as field deltas")
            let t = result.timing
            print(String(format: "CPU per message (fastest time of each 200-message lap): deflate+dictionary encode %.2f µs, decode %.2f µs; Fossil delta + deflate encode %.2f µs, decode %.2f µs;",
                         t.deflateDictionaryEncode, t.deflateDictionaryDecode, t.deltaEncode, t.deltaDecode))
            print(String(format: "  JSON field delta encode %.2f µs, decode %.2f µs; streaming deflate encode %.2f µs", t.fieldDeltaEncode, t.fieldDeltaDecode, t.streamEncode))
            print("short inputs (first N bytes of each message), average bytes after deflate without / with the dictionary:")
            print("  " + result.shortInputs.map { "\($0.size) -> \(String(format: "%.1f", $0.deflate)) / \(String(format: "%.1f", $0.deflateDictionary))" }.joined(separator: ", "))
            if let header = try? Self.headerBytes(key: "QXR") { print("header bytes per message besides the payload (v2 DeltaUpdate, 3-byte key, WebSocket frame): \(header)") }
        }
    }

    func printJSON(_ results: [CompressionMeasurement]) {
        func decimal(_ value: Double, _ digits: Int = 2) -> JSONValue { .decimal(String(format: "%.\(digits)f", value)) }
        func ratio(_ part: Int, _ whole: Int) -> JSONValue { decimal(whole == 0 ? 0 : Double(part) / Double(whole), 4) }
        var datasets: [(String, JSONValue)] = []
        for result in results {
            let b = result.bytes
            let key = result.kind.generate(count: 1, seed: seed).first?.key ?? ""
            datasets.append((result.kind.rawValue, .object([
                ("messages", .number(Int64(result.measured))),
                ("training_messages", .number(Int64(result.trained))),
                ("average_message_bytes", decimal(result.averageMessageBytes, 1)),
                ("raw", .number(Int64(b.raw))),
                ("deflate", .number(Int64(b.deflate))),
                ("deflate_dict", .number(Int64(b.deflateDictionary))),
                ("delta", .number(Int64(b.wireDelta))),
                ("delta_deflate", .number(Int64(b.wire))),
                ("fossil_delta", .number(Int64(b.delta))),
                ("fossil_delta_deflate", .number(Int64(b.deltaDeflate))),
                ("delta_deflate_value_dict", .number(Int64(b.deltaDeflateValueDictionary))),
                ("base_deflate", .number(Int64(b.baseDeflate))),
                ("field_delta", .number(Int64(b.fieldDelta))),
                ("stream_deflate", .number(Int64(b.streamDeflate))),
                ("stream_deflate_64k", .number(Int64(b.streamDeflateSmall))),
                ("deflate_dict_vs_deflate", ratio(b.deflateDictionary, b.deflate)),
                ("delta_deflate_vs_stream", ratio(b.wire, b.streamDeflate)),
                ("fossil_delta_deflate_vs_stream", ratio(b.deltaDeflate, b.streamDeflate)),
                ("field_delta_vs_stream", ratio(b.fieldDelta, b.streamDeflate)),
                ("delta_messages", .number(Int64(result.deltaMessages))),
                ("field_delta_messages", .number(Int64(result.fieldDeltaMessages))),
                ("encode_us", decimal(result.timing.deflateDictionaryEncode)),
                ("decode_us", decimal(result.timing.deflateDictionaryDecode)),
                ("delta_encode_us", decimal(result.timing.deltaEncode)),
                ("delta_decode_us", decimal(result.timing.deltaDecode)),
                ("field_delta_encode_us", decimal(result.timing.fieldDeltaEncode)),
                ("field_delta_decode_us", decimal(result.timing.fieldDeltaDecode)),
                ("stream_encode_us", decimal(result.timing.streamEncode)),
                ("dictionary_bytes", .number(Int64(result.dictionaryBytes))),
                ("delta_dictionary_bytes", .number(Int64(result.deltaDictionaryBytes))),
                ("header_bytes_per_message", .number(Int64((try? Self.headerBytes(key: key)) ?? 0))),
                ("short_inputs", .array(result.shortInputs.map {
                    .object([("size", .number(Int64($0.size))), ("deflate", decimal($0.deflate, 1)), ("deflate_dict", decimal($0.deflateDictionary, 1))])
                })),
                ("state_bytes_per_connection", .object([
                    ("raw", .number(0)), ("deflate", .number(0)), ("deflate_dict", .number(0)),
                    ("delta", .number(Int64(result.deltaBaseBytes))), ("delta_deflate", .number(Int64(result.deltaBaseBytes))),
                    ("field_delta", .number(Int64(result.deltaBaseBytes))),
                    ("stream_deflate", .number(Int64(result.streamStateBytes))),
                    ("stream_deflate_64k", .number(Int64(result.smallStreamStateBytes))),
                ])),
                ("state_bytes_per_event_loop", .number(Int64(result.perLoopStateBytes))),
            ])))
        }
        let object = JSONValue.object([
            ("scenario", .string("compression")), ("build", .string(BuildInfo.mode)), ("cores", .number(Int64(BuildInfo.cores))),
            ("count", .number(Int64(count))), ("seed", .number(Int64(bitPattern: seed))), ("dictionary_size", .number(Int64(dictionarySize))),
            ("level", .number(Int64(level))), ("bytes", .string("payload bytes only; header_bytes_per_message is the same for every method")),
            ("datasets", .object(datasets)),
        ])
        print(object.pretty)
    }
}
