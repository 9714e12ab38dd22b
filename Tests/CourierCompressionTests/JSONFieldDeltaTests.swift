import CourierCompression
import CourierDatasets
import Testing

@Suite("JSON field delta")
struct JSONFieldDeltaTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aTickIsAFewBytes() throws {
        let base = bytes(#"{"s":"QXR","p":187.23,"b":187.22,"bs":300,"a":187.25,"as":500,"v":1843200,"t":1764547200123}"#)
        let target = bytes(#"{"s":"QXR","p":187.23,"b":187.21,"bs":1200,"a":187.25,"as":500,"v":1843200,"t":1764547200163}"#)
        let delta = try #require(JSONFieldDelta.create(from: base, to: target))
        // count 8, bitmap 0b1000_1100 (b, bs, t), b -1 → zigzag 1 → 2, bs +900 → 1800 → 3600 (2 bytes), t +40 → 80 → 160 (2 bytes).
        #expect(delta == [8, 0x8C, 2, 0x90, 0x1C, 0xA0, 0x01])
        #expect(try JSONFieldDelta.apply(delta, to: base, maxOutput: 1_000) == target)
    }

    @Test func numbersTextsNestedValuesAndEdgeCasesRoundTrip() throws {
        let pairs: [(String, String)] = [
            (#"{}"#, #"{}"#),
            (#"{"a":1}"#, #"{"a":1}"#),
            (#"{"a":0.05,"b":-1.50,"c":"x"}"#, #"{"a":-0.05,"b":2.00,"c":"y\"z"}"#),
            (#"{"a":1.5,"b":10}"#, #"{"a":1.55,"b":1e3}"#),  // scale change and exponent go as text
            (#"{"a":{"x":[1,2]},"b":true}"#, #"{"a":{"x":[1,3]},"b":null}"#),
            (#"{"a":0}"#, #"{"a":-0}"#),  // not canonical: text
            (#"{"a":999999999999999999}"#, #"{"a":-999999999999999999}"#),
        ]
        for (base, target) in pairs {
            let delta = try #require(JSONFieldDelta.create(from: bytes(base), to: bytes(target)), "\(base) → \(target)")
            #expect(try JSONFieldDelta.apply(delta, to: bytes(base), maxOutput: 1_000) == bytes(target), "\(base) → \(target)")
        }
    }

    @Test func noDeltaWhenTheShapeDiffers() {
        #expect(JSONFieldDelta.create(from: bytes(#"{"a":1}"#), to: bytes(#"{"b":1}"#)) == nil)
        #expect(JSONFieldDelta.create(from: bytes(#"{"a":1}"#), to: bytes(#"{"a":1,"b":2}"#)) == nil)
        #expect(JSONFieldDelta.create(from: bytes(#"{"a": 1}"#), to: bytes(#"{"a": 2}"#)) == nil)  // not compact
        #expect(JSONFieldDelta.create(from: bytes(#"[1]"#), to: bytes(#"[2]"#)) == nil)
    }

    @Test(arguments: [DatasetKind.ticker, .sensor])
    func everyDatasetMessageRoundTrips(kind: DatasetKind) throws {
        var bases: [String: [UInt8]] = [:]
        for message in kind.generate(count: 3_000) {
            if let base = bases[message.key] {
                let delta = try #require(JSONFieldDelta.create(from: base, to: message.bytes))
                #expect(delta.count < 12)
                #expect(try JSONFieldDelta.apply(delta, to: base, maxOutput: 4_096) == message.bytes)
            }
            bases[message.key] = message.bytes
        }
    }

    @Test func malformedDeltasAreTypedErrors() throws {
        let base = bytes(#"{"a":1,"b":"x"}"#)
        func apply(_ delta: [UInt8], to base: [UInt8]? = nil, maxOutput: Int = 1_000) throws -> [UInt8] {
            try JSONFieldDelta.apply(delta, to: base ?? self.bytes(#"{"a":1,"b":"x"}"#), maxOutput: maxOutput)
        }
        #expect(throws: JSONFieldDeltaError.baseNotAnObject) { try apply([2, 0], to: bytes("not json")) }
        #expect(throws: JSONFieldDeltaError.truncated(at: 0)) { try apply([]) }
        #expect(throws: JSONFieldDeltaError.memberCountMismatch(delta: 3, base: 2)) { try apply([3, 0]) }
        #expect(throws: JSONFieldDeltaError.truncated(at: 1)) { try apply([2]) }
        #expect(throws: JSONFieldDeltaError.bitmapPastLastMember) { try apply([2, 0b100]) }
        #expect(throws: JSONFieldDeltaError.truncated(at: 2)) { try apply([2, 0b01]) }
        #expect(throws: JSONFieldDeltaError.notANumber(member: 1)) { try apply([2, 0b10, 2]) }
        #expect(throws: JSONFieldDeltaError.truncated(at: 2)) { try apply([2, 0b10, 9, 0x22]) }
        #expect(throws: JSONFieldDeltaError.trailingBytes(1)) { try apply([2, 0b01, 2, 7]) }
        #expect(throws: JSONFieldDeltaError.invalidValue) { try apply([2, 0b01, 3, UInt8(ascii: ",")]) }
        #expect(throws: JSONFieldDeltaError.numberOverflow(member: 0)) {
            try apply([2, 0b01, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        }
        #expect(throws: JSONFieldDeltaError.truncated(at: 2)) {
            try apply([2, 0b01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])  // varint past 64 bits
        }
        #expect(throws: JSONFieldDeltaError.outputTooLarge(limit: 10)) { try apply([2, 0], maxOutput: 10) }
        #expect(try apply([2, 0], maxOutput: base.count) == base)
    }
}
