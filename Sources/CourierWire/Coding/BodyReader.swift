import NIOCore

/// Reads the fields of one message body (`docs/PROTOCOL.md` §2, §7).
///
/// It holds the body as a slice of the input, so `rest()` and `bytes(…)` return
/// slices that share the input's storage: no copy, no allocation. Every read checks
/// the field against the bytes left in the body and against the field's limit, and
/// throws a `WireError` whose offset counts from the start of the WebSocket message.
public struct BodyReader {
    @usableFromInline var buffer: ByteBuffer
    @usableFromInline let baseOffset: Int
    @usableFromInline let startIndex: Int
    public let version: ProtocolVersion

    /// - Parameters:
    ///   - body: exactly the body's bytes.
    ///   - offset: where the body starts within the WebSocket message.
    public init(body: ByteBuffer, offset: Int, version: ProtocolVersion) {
        self.buffer = body
        self.baseOffset = offset
        self.startIndex = body.readerIndex
        self.version = version
    }

    /// Offset of the next unread byte from the start of the WebSocket message.
    @inlinable
    public var offset: Int { baseOffset + buffer.readerIndex - startIndex }

    @inlinable
    public var remaining: Int { buffer.readableBytes }

    // MARK: Fixed-width integers (same in both versions)

    @inlinable
    public mutating func u8(_ field: StaticString) throws(WireError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw missing(field, 1) }
        return value
    }

    @inlinable
    public mutating func u16(_ field: StaticString) throws(WireError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw missing(field, 2) }
        return value
    }

    @inlinable
    public mutating func u32(_ field: StaticString) throws(WireError) -> UInt32 {
        guard let value = buffer.readInteger(as: UInt32.self) else { throw missing(field, 4) }
        return value
    }

    @inlinable
    public mutating func u64(_ field: StaticString) throws(WireError) -> UInt64 {
        guard let value = buffer.readInteger(as: UInt64.self) else { throw missing(field, 8) }
        return value
    }

    // MARK: Version-dependent integers (fixed in v1, varint in v2)

    /// `int32`: u32 in v1, varint ≤ 2^32−1 in v2.
    @inlinable
    public mutating func int32(_ field: StaticString) throws(WireError) -> UInt32 {
        switch version {
        case .v1: return try u32(field)
        case .v2: return UInt32(try varint(field, max: UInt64(UInt32.max)))
        }
    }

    /// `int64`: u64 in v1, varint in v2.
    @inlinable
    public mutating func int64(_ field: StaticString) throws(WireError) -> UInt64 {
        switch version {
        case .v1: return try u64(field)
        case .v2: return try varint(field, max: .max)
        }
    }

    /// A varint (any version) no larger than `max`.
    @inlinable
    public mutating func varint(_ field: StaticString, max: UInt64) throws(WireError) -> UInt64 {
        let start = offset
        switch VarInt.read(from: buffer, at: buffer.readerIndex) {
        case .value(let value, let length):
            guard value <= max else {
                throw WireError(.invalidVarint, at: start, "\(field): varint value \(value) exceeds the field's maximum \(max)")
            }
            buffer.moveReaderIndex(forwardBy: length)
            return value
        case .truncated:
            throw WireError(.lengthMismatch, at: start, "\(field): varint runs past the end of the body")
        case .invalid:
            throw WireError(.invalidVarint, at: start, "\(field): varint is not minimal or exceeds 64 bits")
        }
    }

    // MARK: Length-prefixed fields

    /// Reads a length prefix (u16 in v1, varint in v2) and checks it against `limit`
    /// and against the body, in that order. Returns the length and the prefix offset.
    @inlinable
    mutating func lengthPrefix(_ field: StaticString, limit: Int) throws(WireError) -> (length: Int, prefixOffset: Int) {
        let prefixOffset = offset
        let length: Int
        switch version {
        case .v1: length = Int(try u16(field))
        case .v2:
            // Any u64 is read, then compared with the field's limit (§8.1).
            let value = try varint(field, max: .max)
            length = value > UInt64(Int32.max) ? Int(Int32.max) : Int(value)
        }
        try checkLength(field, length, limit: limit, prefixOffset: prefixOffset)
        return (length, prefixOffset)
    }

    @inlinable
    func checkLength(_ field: StaticString, _ length: Int, limit: Int, prefixOffset: Int) throws(WireError) {
        guard length <= limit else {
            throw WireError(.fieldTooLong, at: prefixOffset, "\(field): length \(length) exceeds the limit of \(limit) bytes")
        }
        guard length <= buffer.readableBytes else {
            throw WireError(.lengthMismatch, at: prefixOffset, "\(field): declares \(length) bytes but the body has \(buffer.readableBytes) left")
        }
    }

    /// `string(limit)`: length-prefixed UTF-8.
    @inlinable
    public mutating func string(_ field: StaticString, limit: Int) throws(WireError) -> String {
        let (length, _) = try lengthPrefix(field, limit: limit)
        return try utf8(field, length: length)
    }

    /// Reads `length` bytes of UTF-8 (the prefix has been read and checked).
    @inlinable
    public mutating func utf8(_ field: StaticString, length: Int) throws(WireError) -> String {
        let start = offset
        guard let slice = buffer.readSlice(length: length) else {
            throw WireError(.lengthMismatch, at: start, "\(field): \(length) bytes do not fit in the body")
        }
        if let bad = UTF8Validation.firstInvalidIndex(slice) {
            throw WireError(.invalidUTF8, at: start + bad, "\(field): invalid UTF-8 at byte \(bad) of the field")
        }
        return String(decoding: slice.readableBytesView, as: UTF8.self)
    }

    /// Checks a length read elsewhere (e.g. from a v2 route varint) and reads the UTF-8.
    @inlinable
    public mutating func utf8(_ field: StaticString, length: Int, limit: Int, prefixOffset: Int) throws(WireError) -> String {
        try checkLength(field, length, limit: limit, prefixOffset: prefixOffset)
        return try utf8(field, length: length)
    }

    /// `bytes(limit)`: length-prefixed bytes, returned as a slice of the input.
    @inlinable
    public mutating func bytes(_ field: StaticString, limit: Int) throws(WireError) -> ByteBuffer {
        let (length, _) = try lengthPrefix(field, limit: limit)
        return buffer.readSlice(length: length)!  // length was checked against readableBytes
    }

    /// `bytes8(limit)`: u8 length prefix in both versions. `minimum` violations are
    /// `invalidValue` at the prefix.
    @inlinable
    public mutating func bytes8(_ field: StaticString, minimum: Int = 0, limit: Int, exact: Int? = nil) throws(WireError) -> ByteBuffer {
        let prefixOffset = offset
        let length = Int(try u8(field))
        try checkLength(field, length, limit: limit, prefixOffset: prefixOffset)
        if let exact, length != exact {
            throw WireError(.invalidValue, at: prefixOffset, "\(field): must be exactly \(exact) bytes, got \(length)")
        }
        guard length >= minimum else {
            throw WireError(.invalidValue, at: prefixOffset, "\(field): must be at least \(minimum) bytes, got \(length)")
        }
        return buffer.readSlice(length: length)!
    }

    /// `rest`: every remaining byte, as a slice of the input.
    @inlinable
    public mutating func rest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes)!
    }

    /// Throws `trailingBytes` unless the whole body was read.
    @inlinable
    public func finish(_ type: StaticString) throws(WireError) {
        guard buffer.readableBytes == 0 else {
            throw WireError(.trailingBytes, at: offset, "\(type): \(buffer.readableBytes) bytes left after the last field")
        }
    }

    /// An `invalidValue` error for the field that starts at `fieldOffset`.
    public func invalid(_ field: StaticString, at fieldOffset: Int, _ detail: String) -> WireError {
        WireError(.invalidValue, at: fieldOffset, "\(field): \(detail)")
    }

    @usableFromInline
    func missing(_ field: StaticString, _ size: Int) -> WireError {
        WireError(.lengthMismatch, at: offset, "\(field): needs \(size) bytes but the body has \(buffer.readableBytes) left")
    }
}
