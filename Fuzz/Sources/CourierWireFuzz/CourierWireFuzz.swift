// libFuzzer harness for the CourierWire decoder (see Fuzz/README.md).
//
// Input layout: one selector byte, then the bytes of one WebSocket message.
//
//   selector bit 0     0 = protocol v1, 1 = protocol v2
//   selector bit 1     maxMessageBytes: 0 = 1 MiB (default), 1 = 64
//   selector bits 2-3  maxMessagesPerFrame: 0 = 1024 (default), 1 = 2, 2 = 1, 3 = 16
//   selector bit 4     also decode the frame placed at a non-zero reader index of a
//                      larger buffer, and require exactly the same result
//   selector bits 5-7  ignored
//
// Every property violation traps (fatalError) with a description and the input in hex,
// so libFuzzer records it as a crash.

import CLibFuzzer
import CourierWire
import NIOCore

/// The process entry point. SwiftPM links an executable target's entry point under the
/// name `<target>_main` (on Linux: `--defsym main=CourierWireFuzz_main`), and with
/// `-parse-as-library` and no `@main` the compiler does not generate one, so the harness
/// defines it and hands over to libFuzzer's driver, which parses the libFuzzer flags.
@_cdecl("CourierWireFuzz_main")
public func courierWireFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let config = FuzzConfig(selector: data[0])
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var checker = Checker(config: config, input: input)
    checker.run()
    return 0
}

struct FuzzConfig {
    let selector: UInt8
    let version: ProtocolVersion
    let limits: WireLimits
    let embedded: Bool

    init(selector: UInt8) {
        self.selector = selector
        version = selector & 0x01 == 0 ? .v1 : .v2
        let maxMessageBytes = selector & 0x02 == 0 ? 1_048_576 : 64
        let perFrame: Int
        switch (selector >> 2) & 0x03 {
        case 0: perFrame = 1_024
        case 1: perFrame = 2
        case 2: perFrame = 1
        default: perFrame = 16
        }
        limits = WireLimits(maxMessageBytes: maxMessageBytes, maxMessagesPerFrame: perFrame)
        embedded = selector & 0x10 != 0
    }
}

/// The result of reading one whole WebSocket message with `FrameReader`.
struct FrameOutcome: Equatable {
    var messages: [DecodedMessage] = []
    var error: WireError?
}

struct Checker {
    let config: FuzzConfig
    let input: UnsafeBufferPointer<UInt8>
    let decoder: MessageDecoder
    let encoder: MessageEncoder
    /// The input as a frame starting at reader index 0.
    let frame: ByteBuffer

    init(config: FuzzConfig, input: UnsafeBufferPointer<UInt8>) {
        self.config = config
        self.input = input
        decoder = MessageDecoder(version: config.version, limits: config.limits)
        encoder = MessageEncoder(version: config.version)
        frame = ByteBuffer(bytes: input)
    }

    mutating func run() {
        let outcome = readFrame(frame)
        for decoded in outcome.messages {
            checkRoundTrip(decoded)
            checkPrefixesNeedMoreBytes(decoded)
        }
        checkSingleMessageDecoding(against: outcome)
        if config.embedded {
            // The same bytes at reader index 5 of a larger buffer whose first bytes look
            // like a header: every offset must still count from the frame's start.
            var shifted = ByteBuffer(bytes: [0xC0, 0xD1, 0x01, 0x80, 0x41])
            shifted.writeBytes(input)
            shifted.moveReaderIndex(forwardBy: 5)
            let other = readFrame(shifted)
            guard other == outcome else {
                fail("decoding at reader index 5 differs from decoding at 0: \(describe(other)) vs \(describe(outcome))")
            }
        }
    }

    // MARK: FrameReader: offsets, tiling, error offsets

    func readFrame(_ buffer: ByteBuffer) -> FrameOutcome {
        var reader = FrameReader(frame: buffer, decoder: decoder)
        var outcome = FrameOutcome()
        var end = 0  // end of the last decoded message, relative to the frame
        while true {
            let next: DecodedMessage?
            do {
                next = try reader.next()
            } catch {
                checkErrorOffset(error, notBefore: end, "FrameReader.next()")
                outcome.error = error
                break
            }
            guard let decoded = next else { break }
            guard decoded.offset == end, decoded.length > 0, decoded.offset + decoded.length <= input.count,
                decoded.bodyOffset >= decoded.offset, decoded.bodyOffset <= decoded.offset + decoded.length
            else {
                fail("decoded message \(outcome.messages.count) has inconsistent framing: offset \(decoded.offset) length \(decoded.length) bodyOffset \(decoded.bodyOffset), expected offset \(end)")
            }
            if config.version == .v1 && !decoded.hasLength { fail("a v1 message reported hasLength == false") }
            if !decoded.hasLength && decoded.offset + decoded.length != input.count {
                fail("a v2 message without HAS_LENGTH did not extend to the end of the frame")
            }
            outcome.messages.append(decoded)
            end = decoded.offset + decoded.length
            guard outcome.messages.count <= config.limits.maxMessagesPerFrame else {
                fail("\(outcome.messages.count) messages decoded with maxMessagesPerFrame \(config.limits.maxMessagesPerFrame)")
            }
        }
        if outcome.error == nil && end != input.count {
            fail("FrameReader stopped at byte \(end) of \(input.count) without an error")
        }
        return outcome
    }

    func checkErrorOffset(_ error: WireError, notBefore start: Int, _ context: String) {
        guard error.offset >= 0, error.offset <= input.count else {
            fail("\(context) threw an error whose offset is outside 0...\(input.count): \(error)")
        }
        guard error.offset >= start else {
            fail("\(context) threw an error at offset \(error.offset), before the start (\(start)) of the message being decoded: \(error)")
        }
    }

    // MARK: Semantic round trip

    /// Re-encoding a decoded message gives back exactly its input bytes (the encoding
    /// is canonical), and decoding those gives back an equal message.
    func checkRoundTrip(_ decoded: DecodedMessage) {
        var encoded = ByteBuffer()
        do {
            try encoder.encode(decoded.message, into: &encoded, includeLength: decoded.hasLength)
        } catch {
            fail("re-encoding decoded message at offset \(decoded.offset) threw \(error); message: \(decoded.message)")
        }
        let original = UnsafeBufferPointer(rebasing: input[decoded.offset..<(decoded.offset + decoded.length)])
        guard encoded.readableBytesView.elementsEqual(original) else {
            fail("re-encoding the message at offset \(decoded.offset) gave \(hex(encoded.readableBytesView)), the input had \(hex(original)); message: \(decoded.message)")
        }
        var again = encoded
        let redecoded: DecodedMessage?
        do {
            redecoded = try decoder.decode(&again, frameStart: again.readerIndex)
        } catch {
            fail("decoding the re-encoded message at offset \(decoded.offset) threw \(error)")
        }
        guard let redecoded else { fail("decoding the re-encoded message returned nil") }
        guard redecoded.message == decoded.message else {
            fail("round trip changed the message at offset \(decoded.offset): \(decoded.message) became \(redecoded.message)")
        }
        guard redecoded.hasLength == decoded.hasLength, redecoded.length == decoded.length,
            redecoded.bodyOffset - redecoded.offset == decoded.bodyOffset - decoded.offset,
            again.readableBytes == 0
        else {
            fail("round trip changed the framing of the message at offset \(decoded.offset)")
        }
    }

    // MARK: MessageDecoder.decode, with and without allowPartial

    /// Walks the frame message by message with `MessageDecoder.decode` directly, once
    /// with `allowPartial: false` and once with `allowPartial: true`, and checks that:
    /// partial decoding never throws truncated_*; a nil result or an error leaves the
    /// reader index alone; partial and complete decoding agree except that a
    /// truncated_* error becomes nil; and both agree with `FrameReader`.
    func checkSingleMessageDecoding(against outcome: FrameOutcome) {
        let frameStart = frame.readerIndex
        var position = frame.readerIndex
        var index = 0
        while position < frame.writerIndex && index <= outcome.messages.count {
            var full = frame
            full.moveReaderIndex(to: position)
            var partial = full
            let fullResult: Result<DecodedMessage?, WireError>
            do { fullResult = .success(try decoder.decode(&full, frameStart: frameStart)) } catch { fullResult = .failure(error) }
            let partialResult: Result<DecodedMessage?, WireError>
            do {
                partialResult = .success(try decoder.decode(&partial, frameStart: frameStart, allowPartial: true))
            } catch {
                partialResult = .failure(error)
            }
            let start = position - frameStart
            switch fullResult {
            case .success(nil):
                fail("decode(allowPartial: false) returned nil at offset \(start)")
            case .success(let decoded?):
                guard full.readerIndex == position + decoded.length else {
                    fail("decode moved the reader index to \(full.readerIndex - frameStart), expected \(start + decoded.length)")
                }
            case .failure(let error):
                checkErrorOffset(error, notBefore: start, "decode(allowPartial: false)")
                guard full.readerIndex == position else {
                    fail("decode(allowPartial: false) threw \(error) and moved the reader index from \(start) to \(full.readerIndex - frameStart)")
                }
            }
            switch partialResult {
            case .failure(let error):
                checkErrorOffset(error, notBefore: start, "decode(allowPartial: true)")
                if error.code == .truncatedHeader || error.code == .truncatedPayload {
                    fail("decode(allowPartial: true) threw \(error) at offset \(start)")
                }
                guard partial.readerIndex == position else {
                    fail("decode(allowPartial: true) threw \(error) and moved the reader index from \(start) to \(partial.readerIndex - frameStart)")
                }
                guard case .failure(let fullError) = fullResult, fullError == error else {
                    fail("decode(allowPartial: true) threw \(error) at offset \(start) but decode(allowPartial: false) gave \(fullResult)")
                }
            case .success(nil):
                guard partial.readerIndex == position else {
                    fail("decode(allowPartial: true) returned nil and moved the reader index from \(start) to \(partial.readerIndex - frameStart)")
                }
                guard case .failure(let fullError) = fullResult,
                    fullError.code == .truncatedHeader || fullError.code == .truncatedPayload
                else {
                    fail("decode(allowPartial: true) returned nil at offset \(start) but decode(allowPartial: false) gave \(fullResult)")
                }
            case .success(let decoded?):
                guard case .success(let fullDecoded?) = fullResult, fullDecoded == decoded, partial.readerIndex == full.readerIndex else {
                    fail("decode(allowPartial: true) gave \(decoded) at offset \(start) but decode(allowPartial: false) gave \(fullResult)")
                }
            }
            // Agreement with FrameReader.
            if index < outcome.messages.count {
                guard case .success(let decoded?) = fullResult, decoded == outcome.messages[index] else {
                    fail("FrameReader gave \(outcome.messages[index]) for message \(index) but decode gave \(fullResult)")
                }
            } else if let frameError = outcome.error, frameError.code != .tooManyMessages, frameError.code != .emptyFrame {
                guard case .failure(let error) = fullResult, error == frameError else {
                    fail("FrameReader threw \(frameError) for message \(index) but decode gave \(fullResult)")
                }
            }
            guard case .success(let decoded?) = fullResult else { break }
            position += decoded.length
            index += 1
        }
    }

    /// On a byte stream, every strict prefix of a message whose length is known (v1, or
    /// v2 with HAS_LENGTH) means "need more bytes": `allowPartial` returns nil without
    /// moving the reader index.
    func checkPrefixesNeedMoreBytes(_ decoded: DecodedMessage) {
        guard decoded.hasLength else { return }
        let start = frame.readerIndex + decoded.offset
        let length = decoded.length
        func check(_ k: Int) {
            var prefix = frame
            prefix.moveReaderIndex(to: start)
            prefix.moveWriterIndex(to: start + k)
            let result: DecodedMessage?
            do {
                result = try decoder.decode(&prefix, frameStart: frame.readerIndex, allowPartial: true)
            } catch {
                fail("decode(allowPartial: true) threw \(error) on the first \(k) of \(length) bytes of the message at offset \(decoded.offset)")
            }
            guard result == nil, prefix.readerIndex == start else {
                fail("decode(allowPartial: true) on the first \(k) of \(length) bytes of the message at offset \(decoded.offset) returned \(String(describing: result)) (reader index \(prefix.readerIndex - frame.readerIndex))")
            }
        }
        if length <= 64 {
            for k in 0..<length { check(k) }
        } else {
            for k in 0..<48 { check(k) }
            for k in stride(from: 48, to: length - 16, by: max(1, (length - 64) / 16)) { check(k) }
            for k in (length - 16)..<length { check(k) }
        }
    }

    // MARK: Reporting

    func describe(_ outcome: FrameOutcome) -> String {
        "\(outcome.messages.count) messages, error \(outcome.error.map { "\($0)" } ?? "none")"
    }

    func fail(_ what: String) -> Never {
        fatalError("CourierWireFuzz: \(what)\n  selector 0x\(hex([config.selector])) (\(config.version), \(config.limits))\n  input (\(input.count) bytes): \(hex(input.prefix(2_048)))\(input.count > 2_048 ? "…" : "")")
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
