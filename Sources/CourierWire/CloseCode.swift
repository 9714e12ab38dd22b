/// A close code, shared by the Courier `Close` message and the WebSocket close frame
/// (`docs/PROTOCOL.md` §9). 1000–1015 are RFC 6455's; 4000–4099 are Courier's.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = CloseCode(rawValue: 1000)
    public static let goingAway = CloseCode(rawValue: 1001)
    public static let protocolError = CloseCode(rawValue: 1002)
    public static let unsupportedData = CloseCode(rawValue: 1003)
    public static let invalidPayload = CloseCode(rawValue: 1007)
    public static let policyViolation = CloseCode(rawValue: 1008)
    public static let messageTooBig = CloseCode(rawValue: 1009)
    public static let internalError = CloseCode(rawValue: 1011)
    public static let serviceRestart = CloseCode(rawValue: 1012)
    public static let tryAgainLater = CloseCode(rawValue: 1013)

    public static let malformedMessage = CloseCode(rawValue: 4000)
    public static let handshakeTimeout = CloseCode(rawValue: 4001)
    public static let unsupportedVersion = CloseCode(rawValue: 4002)
    public static let unexpectedMessage = CloseCode(rawValue: 4003)
    public static let authenticationFailed = CloseCode(rawValue: 4004)
    public static let heartbeatTimeout = CloseCode(rawValue: 4005)
    public static let sessionReplaced = CloseCode(rawValue: 4006)
    public static let slowConsumer = CloseCode(rawValue: 4007)
    public static let creditExceeded = CloseCode(rawValue: 4008)

    public var name: String {
        switch rawValue {
        case 1000: return "normal"
        case 1001: return "going away"
        case 1002: return "protocol error"
        case 1003: return "unsupported data"
        case 1007: return "invalid payload"
        case 1008: return "policy violation"
        case 1009: return "message too big"
        case 1011: return "internal error"
        case 1012: return "service restart"
        case 1013: return "try again later"
        case 4000: return "malformed message"
        case 4001: return "handshake timeout"
        case 4002: return "unsupported version"
        case 4003: return "unexpected message"
        case 4004: return "authentication failed"
        case 4005: return "heartbeat timeout"
        case 4006: return "session replaced"
        case 4007: return "slow consumer"
        case 4008: return "credit exceeded"
        default: return "unassigned"
        }
    }

    /// Whether a client should reconnect after this code (honouring any retry hint).
    public var allowsReconnect: Bool {
        switch rawValue {
        case 1001, 1006, 1011, 1012, 1013, 4001, 4005, 4007: return true
        default: return false
        }
    }

    public var description: String { "\(rawValue) (\(name))" }
}
