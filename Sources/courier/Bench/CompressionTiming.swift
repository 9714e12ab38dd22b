import CourierCompression
import CourierDatasets

/// CPU time per message of the encode and decode paths, measured by running the whole
/// measured slice repeatedly (single thread) and keeping the fastest time of each lap.
struct CompressionTiming {
    let test: [DatasetMessage]
    let dictionary: CompressionDictionary
    let deltaDictionary: CompressionDictionary
    let configuration: DeflateConfiguration
    let minimumSeconds: Double

    func run() throws -> CompressionMeasurement.Timing {
        let compressor = try MessageCompressor(configuration: configuration)
        let decompressor = try MessageDecompressor(windowBits: configuration.windowBits)
        var timing = CompressionMeasurement.Timing()
        var scratch = [UInt8](repeating: 0, count: 1 << 16)

        // Deflate with the dictionary, into a reused buffer (no allocation per message).
        var compressed: [[UInt8]?] = []
        timing.deflateDictionaryEncode = try perMessage { laps in
            for message in test {
                _ = try message.bytes.withUnsafeBytes { input in
                    try scratch.withUnsafeMutableBytes { try compressor.compress(input, dictionary: dictionary, into: $0) }
                }
                laps.tick()
            }
        }
        for message in test { compressed.append(try compressor.compress(message.bytes, dictionary: dictionary)) }
        timing.deflateDictionaryDecode = try perMessage { laps in
            for case let payload? in compressed {
                _ = try payload.withUnsafeBytes { input in
                    try scratch.withUnsafeMutableBytes { try decompressor.decompress(input, dictionary: dictionary, into: $0) }
                }
                laps.tick()
            }
        }

        // The delta path as the sender runs it: delta against the key's previous value,
        // deflate it and the full value, keep the smaller.
        enum Encoded { case full([UInt8], compressed: Bool), delta([UInt8], compressed: Bool) }
        var encoded: [Encoded] = []
        timing.deltaEncode = try perMessage { laps in
            encoded.removeAll(keepingCapacity: true)
            var bases: [String: [UInt8]] = [:]
            for message in test {
                let fullDeflated = try compressor.compress(message.bytes, dictionary: dictionary)
                var choice = Encoded.full(fullDeflated ?? message.bytes, compressed: fullDeflated != nil)
                if let base = bases[message.key] {
                    let delta = FossilDelta.create(from: base, to: message.bytes)
                    let deltaDeflated = try compressor.compress(delta, dictionary: deltaDictionary)
                    if (deltaDeflated ?? delta).count < (fullDeflated ?? message.bytes).count {
                        choice = .delta(deltaDeflated ?? delta, compressed: deltaDeflated != nil)
                    }
                }
                encoded.append(choice)
                bases[message.key] = message.bytes
                laps.tick()
            }
        }
        timing.deltaDecode = try perMessage { laps in
            var bases: [String: [UInt8]] = [:]
            for (message, item) in zip(test, encoded) {
                let value: [UInt8]
                switch item {
                case .full(let bytes, let isCompressed):
                    value = isCompressed ? try decompressor.decompress(bytes, dictionary: dictionary, maxOutput: 1 << 16) : bytes
                case .delta(let bytes, let isCompressed):
                    let delta = isCompressed ? try decompressor.decompress(bytes, dictionary: deltaDictionary, maxOutput: 1 << 16) : bytes
                    guard let base = bases[message.key] else { throw BenchFailure("delta without a base") }
                    value = try FossilDelta.apply(delta, to: base, maxOutput: 1 << 16)
                }
                guard value == message.bytes else { throw BenchFailure("delta round trip failed") }
                bases[message.key] = value
                laps.tick()
            }
        }

        // The JSON field delta path.
        var choices: [CompressionMeasurement.FieldDeltaChoice] = []
        timing.fieldDeltaEncode = try perMessage { laps in
            choices.removeAll(keepingCapacity: true)
            var bases: [String: [UInt8]] = [:]
            for message in test {
                choices.append(try CompressionMeasurement.fieldDeltaChoice(message.bytes, base: bases[message.key], dictionary: dictionary, compressor: compressor))
                bases[message.key] = message.bytes
                laps.tick()
            }
        }
        timing.fieldDeltaDecode = try perMessage { laps in
            var bases: [String: [UInt8]] = [:]
            for (message, choice) in zip(test, choices) {
                let value: [UInt8]
                switch choice {
                case .full(let bytes, let isCompressed):
                    value = isCompressed ? try decompressor.decompress(bytes, dictionary: dictionary, maxOutput: 1 << 16) : bytes
                case .fieldDelta(let delta):
                    guard let base = bases[message.key] else { throw BenchFailure("field delta without a base") }
                    value = try JSONFieldDelta.apply(delta, to: base, maxOutput: 1 << 16)
                }
                guard value == message.bytes else { throw BenchFailure("field delta round trip failed") }
                bases[message.key] = value
                laps.tick()
            }
        }

        timing.streamEncode = try perMessage { laps in
            let stream = try StreamingCompressor(configuration: DeflateConfiguration(level: configuration.level, windowBits: configuration.windowBits, memLevel: 8))
            for message in test {
                _ = try stream.compress(message.bytes)
                laps.tick()
            }
        }
        return timing
    }

    /// Microseconds per message of `body` (which processes every measured message once and
    /// calls `laps.tick()` after each): rounds are cut into laps of 200 messages and the
    /// fastest time of each lap over all rounds (at least 5, for at least `minimumSeconds`)
    /// is kept, so that time the shared cores spent on other work does not count.
    private func perMessage(_ body: (LapTimer) throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let laps = LapTimer(messagesPerLap: 200)
        var rounds = 0
        let start = clock.now
        repeat {
            laps.beginRound()
            try body(laps)
            laps.endRound()
            rounds += 1
        } while rounds < 5 || Self.seconds(start.duration(to: clock.now)) < minimumSeconds
        return laps.fastestTotal * 1_000_000 / Double(max(test.count, 1))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
