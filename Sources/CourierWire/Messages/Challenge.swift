import NIOCore

/// Challenge (0x0005), server → client, the first message of every connection
/// (`docs/PROTOCOL.md` §7.1).
public struct Challenge: Hashable, Sendable {
    public struct AuthMethods: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let hmac = AuthMethods(rawValue: 1)
        public static let jwt = AuthMethods(rawValue: 2)
        public static let all: AuthMethods = [.hmac, .jwt]
    }

    /// 16 to 64 random bytes.
    public var nonce: ByteBuffer
    public var minVersion: UInt8
    public var maxVersion: UInt8
    public var authMethods: AuthMethods
    public var deadlineMillis: UInt32

    public init(nonce: ByteBuffer, minVersion: UInt8, maxVersion: UInt8, authMethods: AuthMethods, deadlineMillis: UInt32) {
        self.nonce = nonce
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.authMethods = authMethods
        self.deadlineMillis = deadlineMillis
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Challenge {
        let nonce = try reader.bytes8("nonce", minimum: FieldLimits.nonceMin, limit: FieldLimits.nonceMax)
        let (minVersion, maxVersion) = try VersionRange.decode(from: &reader)
        let methodsOffset = reader.offset
        let methods = try reader.u8("auth methods")
        guard methods != 0, methods & ~AuthMethods.all.rawValue == 0 else {
            throw reader.invalid("auth methods", at: methodsOffset, "bitmask \(methods) must be non-zero with only bits 0-1 set")
        }
        let deadline = try reader.int32("deadline")
        try reader.finish("Challenge")
        return Challenge(nonce: nonce, minVersion: minVersion, maxVersion: maxVersion, authMethods: AuthMethods(rawValue: methods), deadlineMillis: deadline)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        try buffer.writeBytes8Field(nonce, minimum: FieldLimits.nonceMin, limit: FieldLimits.nonceMax, "nonce")
        try VersionRange.encode(minVersion, maxVersion, into: &buffer)
        guard authMethods.rawValue != 0, authMethods.isSubset(of: .all) else {
            throw WireError(.invalidValue, at: buffer.writerIndex, "auth methods: bitmask \(authMethods.rawValue) is not allowed")
        }
        buffer.writeInteger(authMethods.rawValue)
        buffer.writeInt32Field(deadlineMillis, version)
    }
}

/// The `minVersion`, `maxVersion` pair shared by Challenge and Handshake.
enum VersionRange {
    static func decode(from reader: inout BodyReader) throws(WireError) -> (UInt8, UInt8) {
        let minVersion = try reader.u8("min version")
        let maxOffset = reader.offset
        let maxVersion = try reader.u8("max version")
        guard minVersion <= maxVersion else {
            throw reader.invalid("max version", at: maxOffset, "max version \(maxVersion) is below min version \(minVersion)")
        }
        return (minVersion, maxVersion)
    }

    static func encode(_ minVersion: UInt8, _ maxVersion: UInt8, into buffer: inout ByteBuffer) throws(WireError) {
        guard minVersion <= maxVersion else {
            throw WireError(.invalidValue, at: buffer.writerIndex + 1, "max version \(maxVersion) is below min version \(minVersion)")
        }
        buffer.writeInteger(minVersion)
        buffer.writeInteger(maxVersion)
    }
}
