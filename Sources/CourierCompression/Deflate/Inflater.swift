import CZlib
import NIOCore

/// The bounded inflate loop shared by the per-message and the streaming decompressor.
/// Output never exceeds the caller's limit: when the limit is reached, a one-byte probe
/// tells whether more output would follow, and if so the call throws
/// `CompressionError.outputTooLarge(limit:)` without allocating more.
struct Inflater {
    enum End {
        /// Per-message deflate: the input is exactly one raw deflate stream ending with a final block.
        case finalBlock
        /// Context takeover: the input ends at a sync-flush point (00 00 ff ff); the stream goes on.
        case inputConsumed
    }

    private enum Step { case finished, outputFull }

    let stream: ZStream
    let end: End

    /// Inflates the stream's current input into `output` and returns the bytes written.
    /// Throws `outputTooLarge(limit: output.count)` when the data does not fit.
    func inflate(into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let (written, step) = try self.step(into: output)
        if step == .outputFull { try probeForMore(limit: output.count) }
        return written
    }

    /// Inflates into `buffer`, growing it chunk by chunk up to `maxOutput` bytes; on any
    /// error the buffer is left as it was.
    func inflate(appendingTo buffer: inout ByteBuffer, maxOutput: Int, inputCount: Int) throws -> Int {
        let writerIndex = buffer.writerIndex
        var produced = 0
        // A first guess that fits typical ratios of small messages; doubled as needed, never past the limit.
        var chunk = min(maxOutput, max(inputCount * 4, 256))
        do {
            while true {
                let room = min(chunk, maxOutput - produced)
                if room == 0 {
                    try probeForMore(limit: maxOutput)
                    return produced
                }
                var step = Step.outputFull
                let written = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { bytes in
                    let (written, result) = try self.step(into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<room]))
                    step = result
                    return written
                }
                produced += written
                if step == .finished { return produced }
                chunk = min(chunk * 2, 1 << 20)
            }
        } catch {
            buffer.moveWriterIndex(to: writerIndex)
            throw error
        }
    }

    /// Asks zlib for one more byte: if one comes, the output is larger than `limit`.
    private func probeForMore(limit: Int) throws {
        var probe: UInt8 = 0
        let (written, _) = try withUnsafeMutableBytes(of: &probe) { try step(into: $0) }
        if written > 0 { throw CompressionError.outputTooLarge(limit: limit) }
    }

    private func step(into output: UnsafeMutableRawBufferPointer) throws -> (Int, Step) {
        guard output.count > 0 else { return (0, .outputFull) }
        stream.setOutput(output)
        defer {
            stream.pointer.pointee.next_out = nil
            stream.pointer.pointee.avail_out = 0
        }
        while true {
            let status = CZlib.inflate(stream.pointer, Z_NO_FLUSH)
            let written = output.count - stream.availableOutput
            switch status {
            case Z_STREAM_END:
                guard end == .finalBlock else { throw CompressionError.corrupt("a final block inside a context-takeover stream") }
                guard stream.availableInput == 0 else { throw CompressionError.corrupt("\(stream.availableInput) bytes after the end of the deflate stream") }
                return (written, .finished)
            case Z_OK, Z_BUF_ERROR:
                if stream.availableOutput == 0 { return (written, .outputFull) }
                if stream.availableInput == 0 {
                    // All input consumed and room left: either the flush point was reached or the data is cut short.
                    guard end == .inputConsumed else { throw CompressionError.corrupt("truncated deflate stream") }
                    return (written, .finished)
                }
                if status == Z_BUF_ERROR { throw CompressionError.zlibFailure("inflate made no progress", code: status) }
            case Z_NEED_DICT:
                throw CompressionError.dictionaryMismatch
            case Z_DATA_ERROR:
                let reason = stream.message ?? "invalid deflate data"
                // Raw deflate carries no dictionary id: a reference before the start of the
                // output is what a missing (or too short) dictionary looks like.
                if reason == "invalid distance too far back" { throw CompressionError.dictionaryMismatch }
                throw CompressionError.corrupt(reason)
            default:
                throw CompressionError.zlibFailure("inflate", code: status)
            }
        }
    }
}
