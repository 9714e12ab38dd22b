import CZlib
import NIOCore

/// Per-message deflate with an optional preset dictionary and **no context takeover**:
/// every message is a complete raw deflate stream that depends only on itself and the
/// dictionary, so any message can be decompressed alone, in any order, by any peer that
/// has the dictionary.
///
/// ## Memory: zero bytes per connection
///
/// One `MessageCompressor` holds ONE zlib stream and reuses it for every message
/// (`deflateReset`, then `deflateSetDictionary`). Because no state survives from one
/// message to the next, the compressor belongs to the **event loop (or thread)**, not to
/// the connection: a server with 10,000 connections on 2 event loops holds 2 deflate
/// streams (`DeflateConfiguration.deflateStateBytes` each, 136 KiB with the defaults),
/// and compression adds 0 bytes to each connection. Compare `StreamingCompressor`
/// (context takeover, what browsers' permessage-deflate does): one stream per
/// connection, about 256 KiB + 39 KiB each with zlib's default parameters.
///
/// Not thread-safe: keep one per event loop and use it only there.
public final class MessageCompressor {
    public let configuration: DeflateConfiguration
    private let stream: ZStream

    public init(configuration: DeflateConfiguration = DeflateConfiguration()) throws {
        self.configuration = configuration
        self.stream = try ZStream(deflate: configuration)
    }

    /// Compresses `input` into `output` and returns the compressed size, or nil when it
    /// is not worth it: the input is shorter than `configuration.minimumInputSize`, or the
    /// compressed form would not be smaller than the input (or would not fit `output`).
    /// Allocates nothing.
    public func compress(_ input: UnsafeRawBufferPointer, dictionary: CompressionDictionary? = nil, into output: UnsafeMutableRawBufferPointer) throws -> Int? {
        guard input.count >= max(configuration.minimumInputSize, 1) else { return nil }
        if let dictionary {
            return try dictionary.bytes.withUnsafeBytes { try compress(input, dictionaryBytes: $0, into: output) }
        }
        return try compress(input, dictionaryBytes: nil, into: output)
    }

    /// Compresses with arbitrary preset-dictionary bytes (for example a trained dictionary
    /// followed by the previous value of the same key). Only the last 32 KiB are used.
    public func compress(_ input: UnsafeRawBufferPointer, dictionaryBytes: UnsafeRawBufferPointer?, into output: UnsafeMutableRawBufferPointer) throws -> Int? {
        guard input.count >= max(configuration.minimumInputSize, 1) else { return nil }
        // Only output strictly smaller than the input is worth sending.
        let room = min(output.count, input.count - 1)
        guard room > 0 else { return nil }
        let z = stream.pointer
        defer { stream.clearBuffers() }
        var status = deflateReset(z)
        guard status == Z_OK else { throw CompressionError.zlibFailure("deflateReset", code: status) }
        if let dictionaryBytes, let base = dictionaryBytes.baseAddress, dictionaryBytes.count > 0 {
            status = deflateSetDictionary(z, base.assumingMemoryBound(to: Bytef.self), uInt(dictionaryBytes.count))
            guard status == Z_OK else { throw CompressionError.zlibFailure("deflateSetDictionary", code: status) }
        }
        stream.setInput(input)
        stream.setOutput(UnsafeMutableRawBufferPointer(rebasing: output[0..<room]))
        status = deflate(z, Z_FINISH)
        switch status {
        case Z_STREAM_END: return room - stream.availableOutput
        case Z_OK, Z_BUF_ERROR: return nil  // ran out of room: not smaller than the input
        default: throw CompressionError.zlibFailure("deflate", code: status)
        }
    }

    /// Appends the compressed form of `input` to `output` and returns true, or returns
    /// false (leaving `output` untouched) when compression does not pay.
    public func compress(_ input: ByteBuffer, dictionary: CompressionDictionary? = nil, appendingTo output: inout ByteBuffer) throws -> Bool {
        let count = input.readableBytes
        guard count >= max(configuration.minimumInputSize, 1), count > 1 else { return false }
        var produced: Int?
        _ = try input.withUnsafeReadableBytes { source in
            try output.writeWithUnsafeMutableBytes(minimumWritableBytes: count - 1) { target in
                produced = try compress(source, dictionary: dictionary, into: target)
                return produced ?? 0
            }
        }
        return produced != nil
    }

    /// The compressed bytes, or nil when compression does not pay.
    public func compress(_ input: [UInt8], dictionary: CompressionDictionary? = nil) throws -> [UInt8]? {
        guard input.count >= max(configuration.minimumInputSize, 1), input.count > 1 else { return nil }
        var produced: Int?
        let result = try [UInt8](unsafeUninitializedCapacity: input.count - 1) { target, initialized in
            produced = try input.withUnsafeBytes { try compress($0, dictionary: dictionary, into: UnsafeMutableRawBufferPointer(target)) }
            initialized = produced ?? 0
        }
        return produced == nil ? nil : result
    }
}

@available(*, unavailable)
extension MessageCompressor: Sendable {}
