import CZlib
import NIOCore

/// Inflates what `MessageCompressor` produced: one raw deflate stream per message, with
/// the same preset dictionary, never more output than the caller allows.
///
/// Like the compressor it reuses ONE zlib stream (`inflateReset`, then
/// `inflateSetDictionary`), so it belongs to the event loop, not to the connection: 0
/// bytes per connection. Not thread-safe.
///
/// Raw deflate carries no dictionary id. A message that refers to dictionary bytes when
/// none (or too few) were given fails with `CompressionError.dictionaryMismatch`; a
/// *different* dictionary of sufficient length is not detectable here, which is why the
/// dictionary id and version are agreed in the handshake and why a DeltaUpdate carries
/// a CRC-32 of the value (`docs/PROTOCOL.md` §7.10).
public final class MessageDecompressor {
    public let windowBits: Int
    private let stream: ZStream

    /// `windowBits` must be at least the compressor's (15 accepts every compressor).
    public init(windowBits: Int = 15) throws {
        self.windowBits = windowBits
        self.stream = try ZStream(inflateWindowBits: windowBits)
    }

    /// Inflates `input` into `output` and returns the byte count. Throws
    /// `outputTooLarge(limit: output.count)` as soon as the data would not fit (nothing
    /// is allocated), `corrupt` or `dictionaryMismatch` on bad input.
    public func decompress(_ input: UnsafeRawBufferPointer, dictionary: CompressionDictionary? = nil, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        try prepare(input, dictionary: dictionary)
        defer { stream.clearBuffers() }
        return try Inflater(stream: stream, end: .finalBlock).inflate(into: output)
    }

    /// Appends the inflated bytes to `output` (growing it in steps, never past
    /// `maxOutput` bytes rounded up to the buffer's capacity) and returns their count.
    /// On error `output` is unchanged.
    public func decompress(_ input: ByteBuffer, dictionary: CompressionDictionary? = nil, maxOutput: Int, appendingTo output: inout ByteBuffer) throws -> Int {
        try input.withUnsafeReadableBytes { source in
            try prepare(source, dictionary: dictionary)
            defer { stream.clearBuffers() }
            return try Inflater(stream: stream, end: .finalBlock).inflate(appendingTo: &output, maxOutput: maxOutput, inputCount: source.count)
        }
    }

    /// The inflated bytes, at most `maxOutput` of them.
    public func decompress(_ input: [UInt8], dictionary: CompressionDictionary? = nil, maxOutput: Int) throws -> [UInt8] {
        var buffer = ByteBuffer()
        _ = try input.withUnsafeBytes { source in
            try prepare(source, dictionary: dictionary)
            defer { stream.clearBuffers() }
            return try Inflater(stream: stream, end: .finalBlock).inflate(appendingTo: &buffer, maxOutput: maxOutput, inputCount: source.count)
        }
        return Array(buffer.readableBytesView)
    }

    /// Decompresses with arbitrary preset-dictionary bytes (the counterpart of
    /// `MessageCompressor.compress(_:dictionaryBytes:into:)`).
    public func decompress(_ input: UnsafeRawBufferPointer, dictionaryBytes: UnsafeRawBufferPointer?, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        try prepare(input, dictionaryBytes: dictionaryBytes)
        defer { stream.clearBuffers() }
        return try Inflater(stream: stream, end: .finalBlock).inflate(into: output)
    }

    private func prepare(_ input: UnsafeRawBufferPointer, dictionary: CompressionDictionary?) throws {
        if let dictionary {
            try dictionary.bytes.withUnsafeBytes { try prepare(input, dictionaryBytes: $0) }
        } else {
            try prepare(input, dictionaryBytes: nil)
        }
    }

    private func prepare(_ input: UnsafeRawBufferPointer, dictionaryBytes: UnsafeRawBufferPointer?) throws {
        guard input.count > 0 else { throw CompressionError.corrupt("empty input") }
        var status = inflateReset(stream.pointer)
        guard status == Z_OK else { throw CompressionError.zlibFailure("inflateReset", code: status) }
        if let dictionaryBytes, let base = dictionaryBytes.baseAddress, dictionaryBytes.count > 0 {
            status = inflateSetDictionary(stream.pointer, base.assumingMemoryBound(to: Bytef.self), uInt(dictionaryBytes.count))
            guard status == Z_OK else { throw CompressionError.zlibFailure("inflateSetDictionary", code: status) }
        }
        stream.setInput(input)
    }
}

@available(*, unavailable)
extension MessageDecompressor: Sendable {}
