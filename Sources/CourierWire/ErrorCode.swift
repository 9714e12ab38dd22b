/// The code of an `Error` message (`docs/PROTOCOL.md` §9.2). Hundreds give the
/// scope: 1xx protocol, 2xx authentication, 3xx channel (the connection survives),
/// 4xx flow and limits.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // 1xx: protocol. The connection is closed after the Error.
    public static let malformedMessage = ErrorCode(rawValue: 100)
    public static let unsupportedVersion = ErrorCode(rawValue: 101)
    public static let unexpectedMessage = ErrorCode(rawValue: 102)
    public static let messageTooLarge = ErrorCode(rawValue: 103)
    public static let handshakeTimeout = ErrorCode(rawValue: 104)
    /// A COMPRESSED payload that does not inflate (corrupt, a dictionary not agreed,
    /// COMPRESSED with ENCRYPTED, TextData not UTF-8 once inflated): Close 1007.
    public static let invalidCompressedPayload = ErrorCode(rawValue: 105)
    // 2xx: authentication. The connection is closed with 4004 after the Error.
    public static let authenticationFailed = ErrorCode(rawValue: 200)
    public static let unknownKey = ErrorCode(rawValue: 201)
    public static let badProof = ErrorCode(rawValue: 202)
    public static let tokenInvalid = ErrorCode(rawValue: 203)
    public static let tokenExpired = ErrorCode(rawValue: 204)
    public static let tokenNotYetValid = ErrorCode(rawValue: 205)
    public static let tokenWrongAudience = ErrorCode(rawValue: 206)
    public static let tokenWrongIssuer = ErrorCode(rawValue: 207)
    public static let algorithmNotAllowed = ErrorCode(rawValue: 208)
    public static let challengeReplayed = ErrorCode(rawValue: 209)
    // 3xx: channel. The connection stays open.
    public static let subscribeDenied = ErrorCode(rawValue: 300)
    public static let publishDenied = ErrorCode(rawValue: 301)
    public static let unknownChannel = ErrorCode(rawValue: 302)
    public static let tooManySubscriptions = ErrorCode(rawValue: 303)
    public static let invalidTopic = ErrorCode(rawValue: 304)
    public static let unknownRecipient = ErrorCode(rawValue: 305)
    /// A SnapshotRequest the server cannot answer (no value kept, or no subscription).
    public static let snapshotUnavailable = ErrorCode(rawValue: 306)
    // 4xx: flow and limits.
    public static let rateLimited = ErrorCode(rawValue: 400)
    public static let creditExceeded = ErrorCode(rawValue: 401)
    public static let messagesDropped = ErrorCode(rawValue: 402)

    public enum Scope: Sendable, Hashable { case protocolLevel, authentication, channel, flow, unknown }

    public var scope: Scope {
        switch rawValue {
        case 100..<200: return .protocolLevel
        case 200..<300: return .authentication
        case 300..<400: return .channel
        case 400..<500: return .flow
        default: return .unknown
        }
    }

    public var name: String {
        switch rawValue {
        case 100: return "malformed message"
        case 101: return "unsupported version"
        case 102: return "unexpected message"
        case 103: return "message too large"
        case 104: return "handshake timeout"
        case 105: return "invalid compressed payload"
        case 200: return "authentication failed"
        case 201: return "unknown key"
        case 202: return "bad proof"
        case 203: return "token invalid"
        case 204: return "token expired"
        case 205: return "token not yet valid"
        case 206: return "token wrong audience"
        case 207: return "token wrong issuer"
        case 208: return "algorithm not allowed"
        case 209: return "challenge replayed"
        case 300: return "subscribe denied"
        case 301: return "publish denied"
        case 302: return "unknown channel"
        case 303: return "too many subscriptions"
        case 304: return "invalid topic"
        case 305: return "unknown recipient"
        case 306: return "snapshot unavailable"
        case 400: return "rate limited"
        case 401: return "credit exceeded"
        case 402: return "messages dropped"
        default: return "unassigned"
        }
    }

    public var description: String { "\(rawValue) (\(name))" }
}
