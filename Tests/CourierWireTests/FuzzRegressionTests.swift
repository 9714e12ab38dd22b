import CourierWire
import NIOCore
import Testing

/// Inputs from the libFuzzer corpus (`Fuzz/`, `scripts/fuzz.sh`), replayed with the
/// harness's properties so that `swift test` checks them on every run. Crashes that
/// the fuzzer finds are added here too, after minimisation (see `Fuzz/README.md`).
///
/// Each input is in the harness's format: a selector byte, then one WebSocket message.
/// Selector bit 0: v1 (0) or v2 (1); bit 1: `maxMessageBytes` 64 instead of 1 MiB;
/// bits 2–3: `maxMessagesPerFrame` 1024, 2, 1 or 16; bit 4: also decode the frame at a
/// non-zero reader index and require the same result. The expected outcome of each
/// input was checked against the independent Python decoder (`scripts/wirevectors.py`).
@Suite("Fuzz regressions: corpus inputs keep the decoder's round-trip properties")
struct FuzzRegressionTests {
    enum Outcome: Equatable, Sendable, CustomStringConvertible {
        /// The whole frame decoded, to this many messages.
        case messages(Int)
        /// FrameReader threw this error (after decoding any messages before it).
        case error(WireError.Code, at: Int)

        var description: String {
            switch self {
            case .messages(let count): return "\(count) messages"
            case .error(let code, let offset): return "\(code) at \(offset)"
            }
        }
    }

    struct Input: Sendable, CustomTestStringConvertible {
        var name: String
        var hex: String
        var expected: Outcome
        var testDescription: String { name }
    }

    static let inputs: [Input] = [
        // v2 headers: every optional field, multi-byte varints.
        Input(name: "v2 all header fields, max session id, 2-byte timestamp varint",
              hex: "01 f742 ffffffffffffffff 28 ffff01 02 28 01", expected: .messages(1)),
        Input(name: "v2 session + 4-byte sequence varint, implicit timestamp absent",
              hex: "01 e441 0123456789abcdef 80808010 02 28 78", expected: .messages(1)),
        Input(name: "v2 route: 4-byte channel alias varint",
              hex: "01 8042 05 8880800b 00", expected: .messages(1)),
        // v2 routes.
        Input(name: "v2 batch: empty topic route, reliable with implicit sequence, last without HAS_LENGTH",
              hex: "41 8041 01 02 8441 01 10 0041 18", expected: .messages(3)),
        Input(name: "v2 user route, compressed+encrypted, binary payload",
              hex: "01 8342 0b 1c626f30 6d39488a918342", expected: .messages(1)),
        Input(name: "v2 session route under maxMessageBytes 64 (embedded frame)",
              hex: "ff 8042 0f 03 80450000f9dc4500 000007000000", expected: .messages(1)),
        Input(name: "v2 bind route with empty topic, session/sequence/timestamp, no HAS_LENGTH",
              hex: "5d 7742 ff035b020080f608 78 02 4100", expected: .messages(1)),
        Input(name: "v2 DeltaUpdate (DELTA) on a bind route with a non-ASCII topic",
              hex: "01 8943 1f 59 09 7072696365732fc3bc 04 66655361 ffffff0f c2bd9fbd 09680376aeda9c", expected: .messages(1)),
        Input(name: "v2 TextData payload at the UTF-8 boundaries (U+007F, U+0080, U+07FF, U+0800, U+FFFD, U+FFFF, U+3FFFF, U+10000)",
              hex: "01 8041 18 28 007fc280dfbfe0a080efbfbdefbfbff090bfbff0908080", expected: .messages(1)),
        Input(name: "v2 batch of four (embedded frame)",
              hex: "11 8041 01 08 8041 01 08 8042 01 10 0041 18", expected: .messages(4)),
        // v1.
        Input(name: "v1 BinaryData, bind route whose topic holds NUL bytes and an emoji (embedded frame)",
              hex: "10 c0d1 01 00 0102 0000000000000000 00000000 0000000000000000 00000019 01 00000822 0012 6e65002ff09f9a802f6c4d00000061756e63",
              expected: .messages(1)),
        Input(name: "v1 batch of two Acknowledges at maxMessagesPerFrame 2",
              hex: "04 c0d1 01 00 0203 0000000000000000 00000000 0055000000000000 00000004 00000002 c0d1 01 00 0203 0000000000000000 00000000 0000000000000000 00000004 00000003",
              expected: .messages(2)),
        // Errors.
        Input(name: "too_many_messages with maxMessagesPerFrame 1, whatever the extra bytes",
              hex: "09 8003 02 0000 0004", expected: .error(.tooManyMessages, at: 5)),
        Input(name: "non-minimal sequence varint in a v2 header (maxMessageBytes 64, embedded frame)",
              hex: "2f 1005 8000", expected: .error(.invalidVarint, at: 2)),
        Input(name: "v2 body length 2^32 over the limit",
              hex: "01 8042 8080808010", expected: .error(.payloadTooLarge, at: 2)),
        Input(name: "surrogate (U+D800) in a v2 inline topic",
              hex: "01 2641 08 2a 2f eda080 4f", expected: .error(.invalidUTF8, at: 5)),
        Input(name: "Challenge nonce length 225 (bytes8 above 64)",
              hex: "01 0005 e1", expected: .error(.fieldTooLong, at: 2)),
        Input(name: "v2 body length varint 0x21 with 0 body bytes left (embedded frame)",
              hex: "b1 8441 c080 21", expected: .error(.truncatedPayload, at: 5)),
    ]

    @Test(arguments: inputs)
    func replay(_ input: Input) throws {
        let bytes = try #require(parseHex(input.hex), "bad hex in the test case")
        let outcome = FuzzProperties(selector: bytes[0], frame: Array(bytes.dropFirst())).check()
        #expect(outcome == input.expected)
    }
}

/// Differences between this decoder and the independent Python decoder
/// (`scripts/wirevectors.py`) found by running the fuzz corpus through both
/// (`Fuzz/differential.py`). Both were bugs here, now fixed; these pin the fix.
@Suite("Differential findings: Swift decoder vs scripts/wirevectors.py")
struct FuzzDifferentialFindingsTests {
    static func firstError(_ bytes: [UInt8], _ version: ProtocolVersion) -> WireError? {
        do {
            _ = try FrameReader.decodeAll(ByteBuffer(bytes: bytes), decoder: MessageDecoder(version: version))
            return nil
        } catch {
            return error
        }
    }

    /// §8.1: "Length varints (v2 string and bytes prefixes, the v2 body length) accept any
    /// value up to 2^64−1 and are then compared with their limit." A v2 Close whose reason
    /// length prefix is 2^32 is `field_too_long` at the prefix (byte 6); the decoder says
    /// `invalid_varint` (BodyReader.lengthPrefix read v2 prefixes with max 2^32−1).
    @Test func v2LengthPrefixAbove32BitsIsFieldTooLong() {
        let error = Self.firstError([0x00, 0x04, 0x03, 0xE8, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10], .v2)
        #expect(error?.code == .fieldTooLong && error?.offset == 6, "got \(String(describing: error))")
    }

    /// §8.1: the body is checked field by field, so an Error whose refKind is not 0–3 is
    /// `invalid_value` at refKind even when the `ref` after it is cut short; the decoder
    /// read `ref` before checking refKind and reported `length_mismatch` at `ref`.
    @Test func errorRefKindIsCheckedBeforeRef() {
        // v2 Error without HAS_LENGTH: code 100, refKind 7, ref varint cut short.
        let v2 = Self.firstError([0x00, 0x06, 0x00, 0x64, 0x07, 0x80], .v2)
        // v1 Error, body length 4: code 100, refKind 7, one byte of the u32 ref.
        var v1Frame: [UInt8] = [0xC0, 0xD1, 0x01, 0x00, 0x00, 0x06]
        v1Frame += [UInt8](repeating: 0, count: 20) + [0x00, 0x00, 0x00, 0x04] + [0x00, 0x64, 0x07, 0x00]
        let v1 = Self.firstError(v1Frame, .v1)
        #expect(v2?.code == .invalidValue && v2?.offset == 4, "v2: got \(String(describing: v2))")
        #expect(v1?.code == .invalidValue && v1?.offset == 32, "v1: got \(String(describing: v1))")
    }
}

// MARK: - The harness's properties (Fuzz/Sources/CourierWireFuzz), as test expectations

struct FuzzProperties {
    let version: ProtocolVersion
    let limits: WireLimits
    let embedded: Bool
    let input: [UInt8]
    let frame: ByteBuffer
    let decoder: MessageDecoder
    let encoder: MessageEncoder

    init(selector: UInt8, frame input: [UInt8]) {
        version = selector & 0x01 == 0 ? .v1 : .v2
        let perFrame = [1_024, 2, 1, 16][Int((selector >> 2) & 0x03)]
        limits = WireLimits(maxMessageBytes: selector & 0x02 == 0 ? 1_048_576 : 64, maxMessagesPerFrame: perFrame)
        embedded = selector & 0x10 != 0
        self.input = input
        frame = ByteBuffer(bytes: input)
        decoder = MessageDecoder(version: version, limits: limits)
        encoder = MessageEncoder(version: version)
    }

    /// Checks every property (recording an issue for each violation) and returns what
    /// FrameReader made of the frame.
    func check() -> FuzzRegressionTests.Outcome {
        let (messages, error) = readFrame(frame)
        for decoded in messages {
            checkRoundTrip(decoded)
            checkPrefixes(decoded)
        }
        checkSingleMessageDecoding(messages, error)
        if embedded {
            var shifted = ByteBuffer(bytes: [0xC0, 0xD1, 0x01, 0x80, 0x41])
            shifted.writeBytes(input)
            shifted.moveReaderIndex(forwardBy: 5)
            let (otherMessages, otherError) = readFrame(shifted)
            #expect(otherMessages == messages, "decoding at reader index 5 gave other messages")
            #expect(otherError == error, "decoding at reader index 5 gave another error")
        }
        if let error { return .error(error.code, at: error.offset) }
        return .messages(messages.count)
    }

    func readFrame(_ buffer: ByteBuffer) -> ([DecodedMessage], WireError?) {
        var reader = FrameReader(frame: buffer, decoder: decoder)
        var messages: [DecodedMessage] = []
        var end = 0
        while true {
            do {
                guard let decoded = try reader.next() else { break }
                #expect(decoded.offset == end && decoded.length > 0 && end + decoded.length <= input.count, "message \(messages.count) does not tile the frame")
                #expect(decoded.bodyOffset >= decoded.offset && decoded.bodyOffset <= decoded.offset + decoded.length)
                #expect(decoded.hasLength || (version == .v2 && decoded.offset + decoded.length == input.count))
                messages.append(decoded)
                end = decoded.offset + decoded.length
            } catch {
                #expect(error.offset >= end && error.offset <= input.count, "\(error) is outside the message being decoded")
                return (messages, error)
            }
        }
        #expect(end == input.count, "FrameReader stopped early without an error")
        #expect(messages.count <= limits.maxMessagesPerFrame)
        return (messages, nil)
    }

    /// Re-encoding gives back exactly the input bytes; decoding them gives an equal message.
    func checkRoundTrip(_ decoded: DecodedMessage) {
        var encoded = ByteBuffer()
        do {
            try encoder.encode(decoded.message, into: &encoded, includeLength: decoded.hasLength)
        } catch {
            Issue.record("re-encoding \(decoded.message) threw \(error)")
            return
        }
        #expect(Array(encoded.readableBytesView) == Array(input[decoded.offset..<(decoded.offset + decoded.length)]), "not canonical: \(decoded.message)")
        var again = encoded
        do {
            let redecoded = try decoder.decode(&again, frameStart: again.readerIndex)
            #expect(redecoded?.message == decoded.message)
            #expect(redecoded?.hasLength == decoded.hasLength && redecoded?.length == decoded.length && again.readableBytes == 0)
        } catch {
            Issue.record("decoding the re-encoded \(decoded.message) threw \(error)")
        }
    }

    /// Every strict prefix of a message of known length means "need more bytes".
    func checkPrefixes(_ decoded: DecodedMessage) {
        guard decoded.hasLength else { return }
        let start = frame.readerIndex + decoded.offset
        for k in 0..<decoded.length {
            var prefix = frame
            prefix.moveReaderIndex(to: start)
            prefix.moveWriterIndex(to: start + k)
            do {
                let result = try decoder.decode(&prefix, frameStart: frame.readerIndex, allowPartial: true)
                #expect(result == nil && prefix.readerIndex == start, "prefix of \(k) bytes of the message at \(decoded.offset)")
            } catch {
                Issue.record("allowPartial threw \(error) on a prefix of \(k) bytes of the message at \(decoded.offset)")
            }
        }
    }

    /// `decode` with and without `allowPartial`, at the start of each message: no
    /// truncated_* with allowPartial, the reader index stays put on nil or error, and
    /// both agree with each other and with FrameReader.
    func checkSingleMessageDecoding(_ messages: [DecodedMessage], _ frameError: WireError?) {
        var position = frame.readerIndex
        for index in 0...messages.count where position < frame.writerIndex {
            var full = frame
            full.moveReaderIndex(to: position)
            var partial = full
            let fullResult = Result { () throws(WireError) in try decoder.decode(&full, frameStart: frame.readerIndex) }
            let partialResult = Result { () throws(WireError) in try decoder.decode(&partial, frameStart: frame.readerIndex, allowPartial: true) }
            switch partialResult {
            case .success(nil):
                #expect(partial.readerIndex == position)
                switch fullResult {
                case .failure(let error): #expect(error.code == .truncatedHeader || error.code == .truncatedPayload)
                case .success: Issue.record("allowPartial returned nil where decode did not throw truncated_*")
                }
            case .success(let decoded?):
                #expect((try? fullResult.get()) == decoded)
            case .failure(let error):
                #expect(error.code != .truncatedHeader && error.code != .truncatedPayload, "allowPartial threw \(error)")
                #expect(partial.readerIndex == position)
                if case .failure(let fullError) = fullResult { #expect(fullError == error) } else { Issue.record("only allowPartial threw \(error)") }
            }
            if case .failure = fullResult { #expect(full.readerIndex == position) }
            if index < messages.count {
                #expect((try? fullResult.get()) == messages[index])
            } else if let frameError, frameError.code != .tooManyMessages {
                if case .failure(let error) = fullResult { #expect(error == frameError) } else { Issue.record("FrameReader threw \(frameError), decode did not") }
            }
            guard case .success(let decoded?) = fullResult else { break }
            position += decoded.length
        }
    }
}

private func parseHex(_ text: String) -> [UInt8]? {
    let digits = text.filter { !$0.isWhitespace }
    guard digits.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return bytes.isEmpty ? nil : bytes
}
