import NIOCore

/// Error (0x0006): a failure the connection survives, or the last word before a Close
/// (`docs/PROTOCOL.md` §7.6).
public struct ErrorMessage: Hashable, Sendable {
    /// What the error refers to.
    public enum Reference: Hashable, Sendable {
        case none
        case request(UInt32)
        case sequence(UInt32)
        case channel(UInt32)

        var kind: UInt8 {
            switch self {
            case .none: return 0
            case .request: return 1
            case .sequence: return 2
            case .channel: return 3
            }
        }

        var value: UInt32 {
            switch self {
            case .none: return 0
            case .request(let v), .sequence(let v), .channel(let v): return v
            }
        }

        public var kindName: String {
            switch self {
            case .none: return "none"
            case .request: return "request"
            case .sequence: return "sequence"
            case .channel: return "channel"
            }
        }
    }

    public var code: ErrorCode
    public var reference: Reference
    public var message: String

    public init(code: ErrorCode, reference: Reference = .none, message: String) {
        self.code = code
        self.reference = reference
        self.message = message
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> ErrorMessage {
        let code = ErrorCode(rawValue: try reader.u16("error code"))
        let kindOffset = reader.offset
        let kind = try reader.u8("ref kind")
        guard kind <= 3 else { throw reader.invalid("ref kind", at: kindOffset, "\(kind) is not 0-3") }
        let refOffset = reader.offset
        let ref = try reader.int32("ref")
        let reference: Reference
        switch kind {
        case 0:
            guard ref == 0 else { throw reader.invalid("ref", at: refOffset, "must be 0 when ref kind is none") }
            reference = .none
        case 1: reference = .request(ref)
        case 2: reference = .sequence(ref)
        case 3: reference = .channel(ref)
        default: throw reader.invalid("ref kind", at: kindOffset, "\(kind) is not 0-3")
        }
        let message = try reader.string("message", limit: FieldLimits.errorMessage)
        try reader.finish("Error")
        return ErrorMessage(code: code, reference: reference, message: message)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInteger(code.rawValue)
        buffer.writeInteger(reference.kind)
        buffer.writeInt32Field(reference.value, version)
        try buffer.writeStringField(message, limit: FieldLimits.errorMessage, version, "message")
    }
}
