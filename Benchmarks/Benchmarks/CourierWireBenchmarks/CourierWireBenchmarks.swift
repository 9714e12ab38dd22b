// Micro-benchmarks of the CourierWire codec (issue 2).
//
// Every benchmark runs an inner loop of 1,000 operations (`scalingFactor: .kilo`), so
// the figures printed by `swift package benchmark` are per operation: per decode, per
// encode, and for the batch benchmark per message. Everything a benchmark needs
// (input frames, payloads, output buffers) is built before `startMeasurement()`, so
// the malloc counters see only the codec.
//
// The target is 0 mallocs per decode and per encode into a reused buffer. Each
// benchmark's `mallocCountTotal` therefore has strict (0) tolerances, and
// `Thresholds/CourierWireBenchmarks.<name>.p90.json` pins it at 0:
// `swift package --disable-sandbox benchmark thresholds check` fails on any malloc.

import Benchmark
import CourierWire
import NIOCore

// MARK: - Test data

/// The message a server sends on an established channel: BinaryData on `.channel(5)`,
/// reliable. v1 carries every header field; v2 carries only flags and the compact
/// type (implicit sequence, no session id, no timestamp).
private func dataMessage(_ version: ProtocolVersion, payload: ByteBuffer) -> CourierMessage {
    let header: MessageHeader
    switch version {
    case .v1:
        header = MessageHeader(
            flags: [.ackRequested], sessionID: 0x0102_0304_0506_0708,
            sequence: 42, timestamp: 1_764_547_200_000_000
        )
    case .v2:
        header = MessageHeader(flags: [.ackRequested])
    }
    return CourierMessage(header: header, body: .binaryData(DataMessage(route: .channel(5), payload: payload)))
}

private func payload(_ count: Int) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: count)
    for index in 0..<count { buffer.writeInteger(UInt8(truncatingIfNeeded: index &* 31 &+ 7)) }
    return buffer
}

/// One WebSocket message holding `message` alone (v2: without HAS_LENGTH, as a server
/// sends the last or only message of a batch). Checks that it decodes back.
private func frame(_ message: CourierMessage, _ version: ProtocolVersion) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: 2048)
    do {
        try MessageEncoder(version: version).encode(message, into: &buffer, includeLength: false)
        var check = buffer
        let decoded = try MessageDecoder(version: version).decode(&check, frameStart: check.readerIndex)
        precondition(decoded?.message == message && check.readableBytes == 0, "\(version) frame does not round-trip")
        if version == .v2 { precondition(decoded?.hasLength == false, "v2 frame carries HAS_LENGTH") }
    } catch {
        fatalError("building the \(version) frame failed: \(error)")
    }
    return buffer
}

/// One v2 WebSocket message holding `count` copies of `message`: HAS_LENGTH on all
/// but the last. Checks that it decodes back.
private func batchFrame(_ message: CourierMessage, count: Int) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: 4096)
    do {
        try MessageEncoder(version: .v2).encodeBatch(Array(repeating: message, count: count), into: &buffer)
        let decoded = try FrameReader.decodeAll(buffer, decoder: MessageDecoder(version: .v2))
        precondition(decoded.count == count && decoded.allSatisfy { $0.message == message }, "batch does not round-trip")
        precondition(decoded.dropLast().allSatisfy(\.hasLength) && decoded.last?.hasLength == false, "batch framing")
    } catch {
        fatalError("building the batch failed: \(error)")
    }
    return buffer
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    // A regression is any malloc at all: strict tolerances (0 absolute, 0 %) for
    // baseline comparisons, checked against the 0 pinned in Thresholds/ by
    // `benchmark thresholds check`.
    let noMallocs = BenchmarkThresholds(
        relative: BenchmarkThresholds.Relative.strict,
        absolute: BenchmarkThresholds.Absolute.strict
    )
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000,
        thresholds: [.mallocCountTotal: noMallocs]
    )

    let sizes: [(name: String, bytes: Int)] = [("64B", 64), ("1KiB", 1024)]

    // Reference floor: an empty inner loop. Whatever the harness itself costs shows
    // up here.
    Benchmark("Baseline-noop") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(index)
        }
    }

    // Decode one data message per operation, from the same input buffer (its reader
    // index is moved back before each decode; no copy of the bytes).
    for version in ProtocolVersion.allCases {
        for size in sizes {
            let input = frame(dataMessage(version, payload: payload(size.bytes)), version)
            Benchmark("Decode-\(version)-\(size.name)") { benchmark throws in
                let decoder = MessageDecoder(version: version)
                var buffer = input
                let start = buffer.readerIndex
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    buffer.moveReaderIndex(to: start)
                    blackHole(try decoder.decode(&buffer, frameStart: start))
                }
            }
        }
    }

    // Encode one data message per operation into a reused buffer (cleared first).
    // The payload ByteBuffer is prepared once; v2 omits HAS_LENGTH, as for the last
    // message of a WebSocket message.
    for version in ProtocolVersion.allCases {
        for size in sizes {
            let message = dataMessage(version, payload: payload(size.bytes))
            Benchmark("Encode-\(version)-\(size.name)") { benchmark throws in
                let encoder = MessageEncoder(version: version)
                var buffer = ByteBufferAllocator().buffer(capacity: 4096)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    buffer.clear()
                    try encoder.encode(message, into: &buffer, includeLength: false)
                    blackHole(buffer)
                }
            }
        }
    }

    // A batch of 16 v2 64 B messages in one WebSocket message, read with FrameReader.
    // One operation = one message: the loop takes the next message and starts a new
    // FrameReader over the same frame when one is used up, so the per-frame costs
    // (FrameReader.init and the final nil from next()) are spread over its 16 messages.
    let batchCount = 16
    let batch = batchFrame(dataMessage(.v2, payload: payload(64)), count: batchCount)
    Benchmark("DecodeBatch-v2-16x64B") { benchmark throws in
        let decoder = MessageDecoder(version: .v2)
        var reader = FrameReader(frame: batch, decoder: decoder)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if let decoded = try reader.next() {
                blackHole(decoded)
            } else {
                reader = FrameReader(frame: batch, decoder: decoder)
                blackHole(try reader.next())
            }
        }
    }
}
