/// A version of the Courier wire protocol.
///
/// The version is agreed twice: by the WebSocket subprotocol (which fixes the header
/// format of every message on the connection) and again in the handshake (which
/// checks that both sides agree). See `docs/PROTOCOL.md` §1.1.
public enum ProtocolVersion: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The fixed 30-byte big-endian header (`docs/PROTOCOL.md` §3).
    case v1 = 1
    /// The compact header with optional fields and varints (`docs/PROTOCOL.md` §4).
    case v2 = 2

    /// The WebSocket subprotocol token that selects this version.
    public var subprotocol: String {
        switch self {
        case .v1: return "courier.v1"
        case .v2: return "courier.v2"
        }
    }

    /// Parses a subprotocol token (`courier.v1`, `courier.v2`); nil for anything else.
    public init?(subprotocol: some StringProtocol) {
        switch subprotocol {
        case "courier.v1": self = .v1
        case "courier.v2": self = .v2
        default: return nil
        }
    }

    /// Lowest and highest versions this implementation speaks.
    public static let supported: ClosedRange<UInt8> = 1...2

    /// Picks the version to use from the tokens a client offered, most preferred
    /// first; the highest supported version offered wins. Nil when none is supported.
    public static func negotiate(offered tokens: [String]) -> ProtocolVersion? {
        tokens.compactMap { ProtocolVersion(subprotocol: $0.trimmingSpaces) }.max { $0.rawValue < $1.rawValue }
    }

    public var description: String { "v\(rawValue)" }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
