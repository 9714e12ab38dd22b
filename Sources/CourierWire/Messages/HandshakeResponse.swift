import NIOCore

/// HandshakeResponse (0x0002), server → client: the handshake result
/// (`docs/PROTOCOL.md` §7.3).
public struct HandshakeResponse: Hashable, Sendable {
    public enum ResumeFailure: UInt8, Error, Hashable, Sendable, CaseIterable {
        case expired = 1
        case unknownSession = 2
        case bufferOverflowed = 3
        case invalidToken = 4

        public var name: String {
            switch self {
            case .expired: return "expired"
            case .unknownSession: return "unknown_session"
            case .bufferOverflowed: return "buffer_overflowed"
            case .invalidToken: return "invalid_token"
            }
        }
    }

    public enum ResumeStatus: Hashable, Sendable {
        /// A new session (no resume was asked for).
        case new
        /// The session was resumed; the server received everything up to `lastReceived`.
        case resumed(lastReceived: UInt32)
        /// Resume was asked for and is impossible: a new session was started instead.
        case failed(ResumeFailure)
    }

    public var version: UInt8
    public var sessionID: UInt64
    public var resumeToken: ByteBuffer
    public var heartbeatMillis: UInt32
    public var creditMessages: UInt32
    public var creditBytes: UInt32
    public var maxMessageBytes: UInt32
    public var resume: ResumeStatus
    public var extensions: [HandshakeExtension]

    public init(
        version: UInt8, sessionID: UInt64, resumeToken: ByteBuffer, heartbeatMillis: UInt32,
        creditMessages: UInt32, creditBytes: UInt32, maxMessageBytes: UInt32,
        resume: ResumeStatus = .new, extensions: [HandshakeExtension] = []
    ) {
        self.version = version
        self.sessionID = sessionID
        self.resumeToken = resumeToken
        self.heartbeatMillis = heartbeatMillis
        self.creditMessages = creditMessages
        self.creditBytes = creditBytes
        self.maxMessageBytes = maxMessageBytes
        self.resume = resume
        self.extensions = extensions
    }

    public static func decode(from reader: inout BodyReader) throws(WireError) -> HandshakeResponse {
        let version = try reader.u8("version")
        let idOffset = reader.offset
        let sessionID = try reader.u64("session id")
        guard sessionID != 0 else { throw reader.invalid("session id", at: idOffset, "session id 0 is reserved") }
        let token = try reader.bytes("resume token", limit: FieldLimits.resumeToken)
        let heartbeat = try reader.int32("heartbeat")
        let creditMessages = try reader.int32("credit messages")
        let creditBytes = try reader.int32("credit bytes")
        let maxMessage = try reader.int32("max message bytes")
        let statusOffset = reader.offset
        let resume: ResumeStatus
        switch try reader.u8("resume status") {
        case 0:
            resume = .new
        case 1:
            resume = .resumed(lastReceived: try reader.int32("last received"))
        case 2:
            let reasonOffset = reader.offset
            let raw = try reader.u8("resume failure")
            guard let reason = ResumeFailure(rawValue: raw) else {
                throw reader.invalid("resume failure", at: reasonOffset, "\(raw) is not a known reason (1-4)")
            }
            resume = .failed(reason)
        case let other:
            throw reader.invalid("resume status", at: statusOffset, "\(other) is not 0, 1 or 2")
        }
        let extensions = try HandshakeExtension.decodeList(from: &reader)
        try reader.finish("HandshakeResponse")
        return HandshakeResponse(
            version: version, sessionID: sessionID, resumeToken: token, heartbeatMillis: heartbeat,
            creditMessages: creditMessages, creditBytes: creditBytes, maxMessageBytes: maxMessage,
            resume: resume, extensions: extensions
        )
    }

    public func encode(into buffer: inout ByteBuffer, _ version: ProtocolVersion) throws(WireError) {
        buffer.writeInteger(self.version)
        guard sessionID != 0 else { throw WireError(.invalidValue, at: buffer.writerIndex, "session id 0 is reserved") }
        buffer.writeInteger(sessionID)
        try buffer.writeBytesField(resumeToken, limit: FieldLimits.resumeToken, version, "resume token")
        buffer.writeInt32Field(heartbeatMillis, version)
        buffer.writeInt32Field(creditMessages, version)
        buffer.writeInt32Field(creditBytes, version)
        buffer.writeInt32Field(maxMessageBytes, version)
        switch resume {
        case .new:
            buffer.writeInteger(UInt8(0))
        case .resumed(let last):
            buffer.writeInteger(UInt8(1))
            buffer.writeInt32Field(last, version)
        case .failed(let reason):
            buffer.writeInteger(UInt8(2))
            buffer.writeInteger(reason.rawValue)
        }
        try HandshakeExtension.encodeList(extensions, into: &buffer, version)
    }
}
