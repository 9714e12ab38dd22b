import CourierCompression
import Testing

/// Random corruptions of valid inputs: every decoder either succeeds or throws its typed
/// error; none traps or writes past its limit.
@Suite("Decoders on random corruptions")
struct RobustnessTests {
    @Test func mutatedDeltasAndDeflateStreamsNeverTrap() throws {
        var random = SeededRandom(seed: 9)
        let base = Array(#"{"id":"th-0042","model":"TH-200","fw":"2.4.1","t":1764547200123,"temp":21.47,"hum":45.2,"bat":3.712,"rssi":-67}"#.utf8)
        let target = Array(#"{"id":"th-0042","model":"TH-200","fw":"2.4.1","t":1764547209123,"temp":21.52,"hum":45.2,"bat":3.711,"rssi":-70}"#.utf8)
        let fossil = FossilDelta.create(from: base, to: target)
        let field = try #require(JSONFieldDelta.create(from: base, to: target))
        let compressor = try MessageCompressor()
        let decompressor = try MessageDecompressor()
        let deflated = try #require(try compressor.compress(target))
        for _ in 0..<3_000 {
            for original in [fossil, field, deflated] {
                var mutated = original
                for _ in 0..<random.int(1...3) {
                    let index = random.int(0...(mutated.count - 1))
                    mutated[index] = UInt8(truncatingIfNeeded: random.int(0...255))
                }
                if random.int(0...3) == 0 { mutated.removeLast(random.int(0...min(4, mutated.count))) }
                do { _ = try FossilDelta.apply(mutated, to: base, maxOutput: 200) } catch is FossilDeltaError {}
                do { _ = try JSONFieldDelta.apply(mutated, to: base, maxOutput: 200) } catch is JSONFieldDeltaError {}
                do {
                    let output = try decompressor.decompress(mutated, maxOutput: 200)
                    #expect(output.count <= 200)
                } catch is CompressionError {}
            }
        }
    }
}
