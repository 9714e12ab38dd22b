import CourierCompression
import Foundation
import Testing

@Suite("Fossil delta: fossil's vectors, round trips, malformed deltas")
struct FossilDeltaTests {
    struct VectorFile: Decodable {
        struct Vector: Decodable {
            let name: String
            let base: String
            let target: String
            let delta: String
        }
        let vectors: [Vector]
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func loadVectors() throws -> [VectorFile.Vector] {
        let path = String(#filePath).split(separator: "/").dropLast(2).joined(separator: "/")
        let data = try Data(contentsOf: URL(fileURLWithPath: "/" + path + "/Vectors/fossil-delta-vectors.json"))
        return try JSONDecoder().decode(VectorFile.self, from: data).vectors
    }

    @Test func createAndApplyMatchFossilsOwnOutput() throws {
        let vectors = try Self.loadVectors()
        #expect(vectors.count >= 5)
        for vector in vectors {
            let base = Self.hex(vector.base)
            let target = Self.hex(vector.target)
            let delta = Self.hex(vector.delta)
            #expect(FossilDelta.create(from: base, to: target) == delta, "create: \(vector.name)")
            #expect(try FossilDelta.apply(delta, to: base, maxOutput: 1 << 20) == target, "apply: \(vector.name)")
            #expect(try FossilDelta.targetSize(of: delta) == target.count)
        }
    }

    @Test func handChecked() throws {
        // Base ≤ 16 bytes: one literal. "B" is 11 in fossil's digits; checksum of "hello world"
        // = 0x68656c6c + 0x6f20776f + 0x726c6400 = 0x1_49F2_47DB, 0x49F247DB mod 2^32,
        // which is 1 9 x _ V R in fossil's digits (1, 9, 60, 36, 31, 27).
        #expect(FossilDelta.checksum(Array("hello world".utf8)) == 0x49F2_47DB)
        #expect(FossilDelta.create(from: Array("hello".utf8), to: Array("hello world".utf8)) == Array("B\nB:hello world19x_VR;".utf8))
        #expect(FossilDelta.create(from: Array("anything at all, long enough".utf8), to: []) == Array("0\n0;".utf8))
    }

    @Test func randomRoundTrips() throws {
        var random = SeededRandom(seed: 42)
        for round in 0..<200 {
            let baseCount = random.int(0...2_000)
            let base = (0..<baseCount).map { _ in UInt8(truncatingIfNeeded: random.int(0...(round % 2 == 0 ? 255 : 3))) }
            var target = base
            for _ in 0..<random.int(0...8) {
                let position = random.int(0...target.count)
                switch random.int(0...2) {
                case 0: target.insert(contentsOf: (0..<random.int(1...40)).map { _ in UInt8(truncatingIfNeeded: random.int(0...255)) }, at: position)
                case 1: target.removeSubrange(position..<min(target.count, position + random.int(1...60)))
                default: if position < target.count { target[position] ^= 0x5A }
                }
            }
            let delta = FossilDelta.create(from: base, to: target)
            #expect(try FossilDelta.apply(delta, to: base, maxOutput: 1 << 20) == target)
        }
    }

    @Test func edgeCases() throws {
        let text = Array(String(repeating: "0123456789abcdef", count: 10).utf8)
        for (base, target) in [([UInt8](), text), (text, []), ([], []), (text, text), (Array(text.prefix(16)), text), (text, Array(text.reversed()))] {
            let delta = FossilDelta.create(from: base, to: target)
            #expect(try FossilDelta.apply(delta, to: base, maxOutput: 1_000) == target)
        }
        // Identical inputs: one copy.
        let same = FossilDelta.create(from: text, to: text)
        #expect(same.count < 20)
    }

    @Test func malformedDeltasAreTypedErrors() throws {
        let base = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        func apply(_ text: String, maxOutput: Int = 1_000) throws -> [UInt8] { try FossilDelta.apply(Array(text.utf8), to: base, maxOutput: maxOutput) }
        let good = FossilDelta.create(from: base, to: Array("0123456789abcdefghij-xyz".utf8))
        #expect(try FossilDelta.apply(good, to: base, maxOutput: 100) == Array("0123456789abcdefghij-xyz".utf8))

        #expect(throws: FossilDeltaError.missingSizeTerminator) { try apply("5") }
        #expect(throws: FossilDeltaError.outputTooLarge(declared: 4_096, limit: 1_000)) { try apply("100\n") }
        #expect(throws: FossilDeltaError.copyOutOfRange(offset: 30, count: 10, baseSize: 36)) { try apply("A\nA@U,0;") }
        #expect(throws: FossilDeltaError.copyNotTerminated(at: 3)) { try apply("A\nA@0;") }
        #expect(throws: FossilDeltaError.outputExceedsDeclaredSize(declared: 4)) { try apply("4\n5:hello0;") }
        #expect(throws: FossilDeltaError.literalExceedsDelta(count: 9, remaining: 3)) { try apply("9\n9:abc") }
        #expect(throws: FossilDeltaError.unknownOperator(UInt8(ascii: "!"), at: 3)) { try apply("3\n3!abc0;") }
        #expect(throws: FossilDeltaError.unterminated) { try apply("3\n3:abc") }
        #expect(throws: FossilDeltaError.sizeMismatch(declared: 5, actual: 3)) {
            try apply("5\n3:abc" + Self.encode(FossilDelta.checksum(Array("abc".utf8))) + ";")
        }
        #expect(throws: FossilDeltaError.checksumMismatch(expected: 1, actual: FossilDelta.checksum(Array("abc".utf8)))) { try apply("3\n3:abc1;") }
        #expect(throws: FossilDeltaError.trailingBytes(2)) {
            try apply("3\n3:abc" + Self.encode(FossilDelta.checksum(Array("abc".utf8))) + ";xx")
        }
        #expect(throws: FossilDeltaError.integerOverflow(at: 0)) { try apply("zzzzzzz\n") }
        // A copy count near 2^32 must not wrap around the bounds checks.
        #expect(throws: FossilDeltaError.self) { try apply("4\n3~~~~@1,0;", maxOutput: Int(UInt32.max)) }
    }

    /// Fossil's base-64 for a test's expected checksum.
    static func encode(_ value: UInt32) -> String {
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~")
        guard value > 0 else { return "0" }
        var v = value
        var out: [Character] = []
        while v > 0 {
            out.insert(digits[Int(v & 63)], at: 0)
            v >>= 6
        }
        return String(out)
    }
}

/// A small deterministic generator for test inputs.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
