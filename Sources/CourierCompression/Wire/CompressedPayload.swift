import NIOCore

/// The payload of a COMPRESSED message (`docs/PROTOCOL.md` §20.2): a varint dictionary
/// id (0: no dictionary) followed by one complete raw deflate stream made with that
/// dictionary and no context from earlier messages.
public enum CompressedPayload {
    /// Compresses `payload` with `dictionary` (nil: id 0) and returns the COMPRESSED
    /// payload, or nil when that would not be smaller than `payload` itself.
    public static func compress(
        _ payload: ByteBuffer, dictionary: CompressionDictionary?, with compressor: MessageCompressor
    ) throws -> ByteBuffer? {
        let id = dictionary?.id ?? 0
        var output = ByteBuffer()
        output.reserveCapacity(payload.readableBytes)
        var prefix: [UInt8] = []
        Varint.append(UInt64(id), to: &prefix)
        output.writeBytes(prefix)
        let prefixBytes = output.readableBytes
        guard try compressor.compress(payload, dictionary: dictionary, appendingTo: &output) else { return nil }
        return output.readableBytes - prefixBytes > 0 && output.readableBytes < payload.readableBytes ? output : nil
    }

    /// Splits a COMPRESSED payload into its dictionary id and deflate stream.
    public static func split(_ payload: ByteBuffer) throws(CompressionError) -> (dictionaryID: UInt32, deflated: ByteBuffer) {
        var payload = payload
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = payload.readInteger(as: UInt8.self) else { throw .corrupt("compressed payload: truncated dictionary id") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
            guard shift < 35 else { throw .corrupt("compressed payload: dictionary id longer than 5 bytes") }
        }
        guard value <= UInt64(UInt32.max) else { throw .corrupt("compressed payload: dictionary id \(value) above 2^32-1") }
        return (UInt32(value), payload)
    }

    /// Inflates a COMPRESSED payload with the dictionary `lookup` returns for its id
    /// (nil: the id is not agreed, `dictionaryMismatch`), never past `maxOutput` bytes
    /// (`outputTooLarge`).
    public static func inflate(
        _ payload: ByteBuffer, maxOutput: Int, with decompressor: MessageDecompressor,
        dictionary lookup: (UInt32) -> CompressionDictionary??
    ) throws -> ByteBuffer {
        let (id, deflated) = try split(payload)
        guard let dictionary = lookup(id) else { throw CompressionError.dictionaryMismatch }
        var output = ByteBuffer()
        _ = try decompressor.decompress(deflated, dictionary: dictionary, maxOutput: maxOutput, appendingTo: &output)
        return output
    }
}
