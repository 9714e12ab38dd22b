import CZlib
import NIOCore

/// Deflate with **context takeover**, as browsers' permessage-deflate (RFC 7692) does by
/// default: one zlib stream per connection that remembers the previous messages, a
/// `Z_SYNC_FLUSH` after each message, and the trailing `00 00 ff ff` removed.
///
/// Strong on repetitive streams (the window holds the last 32 KiB of messages) but it
/// costs `configuration.deflateStateBytes` per connection (256 KiB with zlib's defaults,
/// window 15 and memLevel 8)
/// and the receiver another `inflateStateBytes` (39 KiB); messages must be decompressed
/// in order, by the one peer that saw all the previous ones. Courier uses it as the
/// baseline of `courier bench compression`; `MessageCompressor` is the design it ships.
public final class StreamingCompressor {
    public static let syncFlushTrailer: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    public let configuration: DeflateConfiguration
    private let stream: ZStream

    public init(configuration: DeflateConfiguration = DeflateConfiguration(level: 6, memLevel: 8)) throws {
        self.configuration = configuration
        self.stream = try ZStream(deflate: configuration)
    }

    /// Bytes of compression state this costs per connection (zlib's formula).
    public var stateBytesPerConnection: Int { configuration.deflateStateBytes }

    /// Compresses one message and returns its bytes without the sync-flush trailer.
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count + input.count / 8 + 64)
        var produced = 0
        defer { stream.clearBuffers() }
        try input.withUnsafeBytes { source in
            stream.setInput(source)
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
                let room = output.count - produced
                try output.withUnsafeMutableBytes { target in
                    stream.setOutput(UnsafeMutableRawBufferPointer(rebasing: target[produced...]))
                    let status = deflate(stream.pointer, Z_SYNC_FLUSH)
                    guard status == Z_OK || status == Z_BUF_ERROR else { throw CompressionError.zlibFailure("deflate", code: status) }
                }
                produced += room - stream.availableOutput
                // Done when all input is consumed and zlib did not fill the output (the flush is complete).
                if stream.availableInput == 0 && stream.availableOutput > 0 { break }
            }
        }
        output.removeSubrange(produced...)
        if output.count >= 4 && Array(output.suffix(4)) == Self.syncFlushTrailer { output.removeLast(4) }
        return output
    }
}

@available(*, unavailable)
extension StreamingCompressor: Sendable {}
