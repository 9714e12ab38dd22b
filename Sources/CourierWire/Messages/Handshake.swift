import NIOCore

/// Handshake (0x0001), client → server: the client's proof of identity over the
/// server's challenge, and optionally the session it wants to resume
/// (`docs/PROTOCOL.md` §7.2).
public struct Handshake: Hashable, Sendable {
    public enum Auth: Hashable, Sendable {
        /// HMAC-SHA256 with the pre-shared key `keyID` (32-byte `mac`).
        case hmac(keyID: String, mac: ByteBuffer)
        /// A compact JWS.
        case jwt(token: String)
    }

    public struct Resume: Hashable, Sendable {
        public var sessionID: UInt64
        public var token: ByteBuffer
        /// Highest sequence received in order from the server (0 = none).
        public var lastReceived: UInt32

        public init(sessionID: UInt64, token: ByteBuffer, lastReceived: UInt32) {
            self.sessionID = sessionID
            self.token = token
            self.lastReceived = lastReceived
        }
    }

    public var minVersion: UInt8
    public var maxVersion: UInt8
    public var auth: Auth
    public var resume: Resume?
    public var extensions: [HandshakeExtension]

    public init(minVersion: UInt8, maxVersion: UInt8, auth: Auth, resume: Resume? = nil, extensions: [HandshakeExtension] = []) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.auth = auth
        self.resume = resume
        self.extensions = extensions
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> Handshake {
        let (minVersion, maxVersion) = try VersionRange.decode(from: &reader)
        let methodOffset = reader.offset
        let auth: Auth
        switch try reader.u8("auth method") {
        case 1:
            let keyID = try reader.string("key id", limit: FieldLimits.keyID)
            let mac = try reader.bytes8("mac", limit: FieldLimits.nonceMax, exact: FieldLimits.macLength)
            auth = .hmac(keyID: keyID, mac: mac)
        case 2:
            auth = .jwt(token: try reader.string("token", limit: FieldLimits.token))
        case let other:
            throw reader.invalid("auth method", at: methodOffset, "\(other) is not 1 (HMAC) or 2 (JWT)")
        }
        let resume: Resume?
        let flagOffset = reader.offset
        switch try reader.u8("has resume") {
        case 0:
            resume = nil
        case 1:
            let sessionID = try reader.u64("resume session id")
            let token = try reader.bytes("resume token", limit: FieldLimits.resumeToken)
            let last = try reader.int32("last received")
            resume = Resume(sessionID: sessionID, token: token, lastReceived: last)
        case let other:
            throw reader.invalid("has resume", at: flagOffset, "\(other) is not 0 or 1")
        }
        let extensions = try HandshakeExtension.decodeList(from: &reader)
        try reader.finish("Handshake")
        return Handshake(minVersion: minVersion, maxVersion: maxVersion, auth: auth, resume: resume, extensions: extensions)
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        try VersionRange.encode(minVersion, maxVersion, into: &buffer)
        switch auth {
        case .hmac(let keyID, let mac):
            buffer.writeInteger(UInt8(1))
            try buffer.writeStringField(keyID, limit: FieldLimits.keyID, version, "key id")
            try buffer.writeBytes8Field(mac, minimum: FieldLimits.macLength, limit: FieldLimits.macLength, "mac")
        case .jwt(let token):
            buffer.writeInteger(UInt8(2))
            try buffer.writeStringField(token, limit: FieldLimits.token, version, "token")
        }
        if let resume {
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(resume.sessionID)
            try buffer.writeBytesField(resume.token, limit: FieldLimits.resumeToken, version, "resume token")
            buffer.writeInt32Field(resume.lastReceived, version)
        } else {
            buffer.writeInteger(UInt8(0))
        }
        try HandshakeExtension.encodeList(extensions, into: &buffer, version)
    }
}
