import CourierWire

/// Why a client operation failed. A struct wrapping a private enum, so that new
/// cases can be added without breaking callers; compare with the static members.
public struct CourierClientError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case authenticationFailed(code: UInt16, message: String)
        case authenticationMethodNotOffered(method: String, offered: UInt8)
        case unsupportedVersion(String)
        case connectionRefused(String)
        case connectionFailed(String)
        case upgradeRejected(status: Int, reason: String)
        case timeout(String)
        case connectionClosed(code: UInt16?, reason: String)
        case connectionLost
        case notConnected
        case closed
        case gaveUp
        case messageTooLarge(size: Int, limit: Int)
        case invalidDestination(String)
        case resumeFailed(HandshakeResponse.ResumeFailure)
        case requestRejected(code: UInt16, message: String)
        case tlsFailed(String)
        case tlsConfiguration(String)
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The server rejected the Handshake's proof (an `Error` 2xx followed by Close 4004).
    public static func authenticationFailed(code: ErrorCode, message: String) -> Self {
        Self(.authenticationFailed(code: code.rawValue, message: message))
    }

    /// The server's Challenge does not offer the configured authentication method.
    static func authenticationMethodNotOffered(_ method: String, offered: Challenge.AuthMethods) -> Self {
        Self(.authenticationMethodNotOffered(method: method, offered: offered.rawValue))
    }

    /// No protocol version both sides speak (§1.1; close 4002).
    public static func unsupportedVersion(_ detail: String) -> Self { Self(.unsupportedVersion(detail)) }
    /// Nothing listens at the configured host and port.
    public static func connectionRefused(_ detail: String) -> Self { Self(.connectionRefused(detail)) }
    /// The TCP connection could not be made (DNS, routing, …).
    public static func connectionFailed(_ detail: String) -> Self { Self(.connectionFailed(detail)) }
    /// The server answered the WebSocket upgrade with something other than `101`.
    public static func upgradeRejected(status: Int, reason: String) -> Self { Self(.upgradeRejected(status: status, reason: reason)) }
    /// A connect, upgrade or handshake step took longer than `handshakeTimeout`.
    public static func timeout(_ step: String) -> Self { Self(.timeout(step)) }
    /// The connection closed before the handshake completed.
    public static func connectionClosed(code: CloseCode?, reason: String) -> Self {
        Self(.connectionClosed(code: code?.rawValue, reason: reason))
    }
    /// The connection ended while waiting for an answer (a `SubscribeResult`).
    public static let connectionLost = Self(.connectionLost)
    /// `connect()` has not been called yet.
    public static let notConnected = Self(.notConnected)
    /// The client was closed (by `close()` or by a close that forbids reconnecting).
    public static let closed = Self(.closed)
    /// Reconnect attempts were exhausted.
    public static let gaveUp = Self(.gaveUp)
    /// A payload above the agreed `maxMessageBytes`.
    public static func messageTooLarge(size: Int, limit: Int) -> Self { Self(.messageTooLarge(size: size, limit: limit)) }
    /// A destination the protocol cannot carry (a topic or user id too long).
    public static func invalidDestination(_ detail: String) -> Self { Self(.invalidDestination(detail)) }
    /// The session could not be resumed: messages of the old session were never
    /// confirmed (they are reported in `ConnectionEvent.resumeFailed`).
    public static func resumeFailed(_ reason: HandshakeResponse.ResumeFailure) -> Self { Self(.resumeFailed(reason)) }
    /// The server answered a request (Subscribe) with an `Error`.
    public static func requestRejected(code: ErrorCode, message: String) -> Self {
        Self(.requestRejected(code: code.rawValue, message: message))
    }

    /// The TLS handshake failed (`wss://`): the server's certificate was not trusted
    /// or does not name the server, or the peer does not speak TLS.
    public static func tlsFailed(_ detail: String) -> Self { Self(.tlsFailed(detail)) }
    /// `Configuration.tls` cannot be used (an unreadable trust-root file, …).
    public static func tlsConfiguration(_ detail: String) -> Self { Self(.tlsConfiguration(detail)) }

    /// A TLS handshake failure (`tlsFailed`).
    public var isTLSFailure: Bool {
        if case .tlsFailed = base { return true }
        return false
    }

    /// The server's error code, when the server said why.
    public var errorCode: ErrorCode? {
        switch base {
        case .authenticationFailed(let code, _), .requestRejected(let code, _): return ErrorCode(rawValue: code)
        default: return nil
        }
    }

    /// The close code that ended the connection, when there was one.
    public var closeCode: CloseCode? {
        if case .connectionClosed(let code?, _) = base { return CloseCode(rawValue: code) }
        return nil
    }

    /// A failure that retrying will not cure (checked before reconnecting).
    var forbidsReconnect: Bool {
        switch base {
        case .unsupportedVersion, .authenticationMethodNotOffered, .authenticationFailed, .tlsConfiguration: return true
        case .upgradeRejected(let status, _): return (400..<500).contains(status) && status != 408 && status != 429
        default: return false
        }
    }

    public var description: String {
        switch base {
        case .authenticationFailed(let code, let message):
            return "authentication failed: the server answered error \(ErrorCode(rawValue: code))" + (message.isEmpty ? "" : ": \(message)")
        case .authenticationMethodNotOffered(let method, let offered):
            let names = [(Challenge.AuthMethods.hmac, "HMAC"), (.jwt, "JWT")]
                .filter { Challenge.AuthMethods(rawValue: offered).contains($0.0) }.map(\.1)
            return "authentication failed: the server does not accept \(method) (it offers \(names.isEmpty ? "nothing" : names.joined(separator: ", ")))"
        case .unsupportedVersion(let detail):
            return "unsupported protocol version: \(detail)"
        case .connectionRefused(let detail):
            return "connection refused: \(detail)"
        case .connectionFailed(let detail):
            return "could not connect: \(detail)"
        case .upgradeRejected(let status, let reason):
            return "the server refused the WebSocket upgrade with HTTP \(status)" + (reason.isEmpty ? "" : ": \(reason)")
        case .timeout(let step):
            return "timed out: \(step)"
        case .connectionClosed(let code, let reason):
            let what = code.map { "with close code \(CloseCode(rawValue: $0))" } ?? "without a close code"
            return "the connection closed \(what)" + (reason.isEmpty ? "" : ": \(reason)")
        case .connectionLost:
            return "the connection was lost before the server answered"
        case .notConnected:
            return "the client is not connected: call connect() first"
        case .closed:
            return "the client is closed"
        case .gaveUp:
            return "the client gave up reconnecting"
        case .messageTooLarge(let size, let limit):
            return "a payload of \(size) bytes exceeds the limit of \(limit) bytes"
        case .invalidDestination(let detail):
            return "invalid destination: \(detail)"
        case .resumeFailed(let reason):
            return "the session could not be resumed (\(reason.name)); the message was never acknowledged"
        case .requestRejected(let code, let message):
            return "the server rejected the request with error \(ErrorCode(rawValue: code))" + (message.isEmpty ? "" : ": \(message)")
        case .tlsFailed(let detail):
            return "TLS failed: \(detail)"
        case .tlsConfiguration(let detail):
            return "the TLS configuration is unusable: \(detail)"
        }
    }
}
