import CourierWire
import NIOHTTP1

/// What to do with an HTTP request on the WebSocket port: upgrade it to Courier or
/// to the echo endpoint, or refuse it with a status and a reason people can read.
enum UpgradeDecision: Equatable, Sendable {
    case courier(ProtocolVersion)
    case echo
    case reject(HTTPResponseStatus, String)

    static func decide(_ head: HTTPRequestHead, configuration: ServerConfiguration) -> UpgradeDecision {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let isEcho = configuration.echoPath.map { $0 == path } ?? false
        guard path == configuration.path || isEcho else {
            return .reject(.notFound, "no endpoint at \(path); Courier listens at \(configuration.path)")
        }
        let upgrade = head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
        guard upgrade else {
            return .reject(.upgradeRequired, "this is a WebSocket endpoint: connect with a WebSocket client offering the subprotocol courier.v2 or courier.v1")
        }
        if !configuration.allowedOrigins.isEmpty {
            guard let origin = head.headers.first(name: "origin"), configuration.allowedOrigins.contains(origin) else {
                return .reject(.forbidden, "origin \(head.headers.first(name: "origin") ?? "(none)") is not allowed")
            }
        }
        if isEcho { return .echo }
        let offered = head.headers[canonicalForm: "sec-websocket-protocol"].map(String.init)
        let supported = configuration.versions.map(\.subprotocol)
        guard !offered.isEmpty else {
            return .reject(.badRequest, "no subprotocol offered: send Sec-WebSocket-Protocol with one of \(supported.joined(separator: ", "))")
        }
        let acceptable = offered.filter { token in supported.contains(token) }
        guard let version = ProtocolVersion.negotiate(offered: acceptable) else {
            return .reject(.badRequest, "unsupported subprotocol \(offered.joined(separator: ", ")); this server speaks \(supported.joined(separator: ", "))")
        }
        return .courier(version)
    }
}
