import NIOHTTP1

/// What the admin listener answers, decided from the request line alone.
struct AdminRoutes: Sendable {
    struct Response: Equatable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]
        var allow: String?
    }

    /// Whether the process runs (it does, if it answers).
    let metrics: (@Sendable () -> [UInt8])?
    let metricsContentType: String
    /// True while the server accepts connections; false before `start()` finished and
    /// from the first moment of a drain or shutdown.
    let isReady: @Sendable () -> Bool

    func respond(method: HTTPMethod, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let known = path == "/health" || path == "/ready" || (path == "/metrics" && metrics != nil)
        guard known else { return Self.text(.notFound, "not found: try /metrics, /health or /ready\n") }
        guard method == .GET else {
            var response = Self.text(.methodNotAllowed, "only GET\n")
            response.allow = "GET"
            return response
        }
        switch path {
        case "/health":
            return Self.text(.ok, "ok\n")
        case "/ready":
            return isReady() ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "not ready: starting or draining\n")
        default:
            return Response(status: .ok, contentType: metricsContentType, body: metrics?() ?? [])
        }
    }

    static func text(_ status: HTTPResponseStatus, _ body: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
    }
}
