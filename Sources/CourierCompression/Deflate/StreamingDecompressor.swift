import CZlib
import NIOCore

/// The receiving side of `StreamingCompressor`: one inflate stream per connection,
/// messages in order, the `00 00 ff ff` trailer put back before inflating. Bounded like
/// `MessageDecompressor`.
public final class StreamingDecompressor {
    public let windowBits: Int
    private let stream: ZStream

    public init(windowBits: Int = 15) throws {
        self.windowBits = windowBits
        self.stream = try ZStream(inflateWindowBits: windowBits)
    }

    /// Bytes of decompression state this costs per connection (zlib's formula).
    public var stateBytesPerConnection: Int { (1 << windowBits) + 7 * 1_024 }

    /// Inflates the next message of the stream, at most `maxOutput` bytes.
    public func decompress(_ input: [UInt8], maxOutput: Int) throws -> [UInt8] {
        let message = input + StreamingCompressor.syncFlushTrailer
        var buffer = ByteBuffer()
        _ = try message.withUnsafeBytes { source in
            stream.setInput(source)
            defer { stream.clearBuffers() }
            return try Inflater(stream: stream, end: .inputConsumed).inflate(appendingTo: &buffer, maxOutput: maxOutput, inputCount: source.count)
        }
        return Array(buffer.readableBytesView)
    }
}

@available(*, unavailable)
extension StreamingDecompressor: Sendable {}
