import NIOCore

/// The payload of a DELTA DeltaUpdate (`docs/PROTOCOL.md` §20.3): one format byte (1 =
/// Fossil, 2 = JSON field delta) and the delta in that format, which turns the value of
/// version `version - 1` into the value of `version`.
public enum DeltaPayload {
    /// The format byte of `format` (exactly one format).
    static func formatByte(_ format: DeltaFormats) -> UInt8 { format.rawValue }

    /// The smallest delta from `base` to `target` in one of `formats`, with its format
    /// byte; nil when none is smaller than `target` itself (then a full value goes).
    public static func create(from base: ByteBuffer, to target: ByteBuffer, formats: DeltaFormats) -> ByteBuffer? {
        var best: ByteBuffer?
        func consider(_ format: DeltaFormats, _ delta: ByteBuffer?) {
            guard let delta, 1 + delta.readableBytes < (best?.readableBytes ?? target.readableBytes) else { return }
            var payload = ByteBuffer()
            payload.reserveCapacity(1 + delta.readableBytes)
            payload.writeInteger(formatByte(format))
            payload.writeImmutableBuffer(delta)
            best = payload
        }
        if formats.contains(.jsonField) { consider(.jsonField, JSONFieldDelta.create(from: base, to: target)) }
        if formats.contains(.fossil), best == nil { consider(.fossil, FossilDelta.create(from: base, to: target)) }
        return best
    }

    /// The format of a DELTA payload (its first byte), if it is one of `DeltaFormats`.
    public static func format(of payload: ByteBuffer) -> DeltaFormats? {
        guard let byte = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else { return nil }
        switch byte {
        case DeltaFormats.fossil.rawValue: return .fossil
        case DeltaFormats.jsonField.rawValue: return .jsonField
        default: return nil
        }
    }

    /// Applies a DELTA payload to `base`; the result is at most `maxOutput` bytes.
    public static func apply(_ payload: ByteBuffer, to base: ByteBuffer, maxOutput: Int) throws -> ByteBuffer {
        guard let format = format(of: payload) else {
            throw DeltaPayloadError.unknownFormat(payload.getInteger(at: payload.readerIndex, as: UInt8.self))
        }
        let delta = payload.getSlice(at: payload.readerIndex + 1, length: payload.readableBytes - 1)!
        switch format {
        case .jsonField: return try JSONFieldDelta.apply(delta, to: base, maxOutput: maxOutput)
        default: return try FossilDelta.apply(delta, to: base, maxOutput: maxOutput)
        }
    }
}

/// A DELTA payload whose format byte is missing or unknown.
public enum DeltaPayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownFormat(UInt8?)

    public var description: String {
        switch self {
        case .unknownFormat(nil): return "delta payload: empty (no format byte)"
        case .unknownFormat(let byte?): return "delta payload: unknown format \(byte)"
        }
    }
}
