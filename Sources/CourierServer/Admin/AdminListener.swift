import CourierSession

/// The admin HTTP listener (`docs/OPERATIONS.md`): `GET /metrics`, `GET /health`,
/// `GET /ready` on its own address, beside the Courier endpoint, on the same event
/// loops. Off unless `ServerConfiguration.admin` is set.
///
/// Small and bounded: one request per connection (`Connection: close`), a request
/// larger than `maxRequestBytes` gets 431, a connection lives at most
/// `requestTimeout`, and at most `maxConnections` are open at once.
public struct AdminListener: Sendable {
    /// Keep it on loopback or a private interface: it has no authentication.
    public var host: String
    /// 0 picks a free port (`CourierServer.adminPort` after `start()`).
    public var port: Int
    /// The body of `GET /metrics` (for example `PrometheusCollectorRegistry.emit`);
    /// nil: `/metrics` answers 404 (the process's metrics backend exports on its own).
    public var metrics: (@Sendable () -> [UInt8])?
    /// `Content-Type` of the metrics body.
    public var metricsContentType: String
    public var requestTimeout: Duration
    public var maxRequestBytes: Int
    public var maxConnections: Int

    public init(
        host: String = "127.0.0.1", port: Int, metrics: (@Sendable () -> [UInt8])? = nil,
        metricsContentType: String = "text/plain; version=0.0.4; charset=utf-8",
        requestTimeout: Duration = .seconds(5), maxRequestBytes: Int = 8 * 1_024, maxConnections: Int = 64
    ) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.metricsContentType = metricsContentType
        self.requestTimeout = requestTimeout
        self.maxRequestBytes = maxRequestBytes
        self.maxConnections = maxConnections
    }

    func validate() throws(ServerConfiguration.Invalid) {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws(ServerConfiguration.Invalid) {
            if !ok { throw ServerConfiguration.Invalid(key: key, problem: problem) }
        }
        try check((0...65_535).contains(port), "admin.port", "must be 0...65535, got \(port)")
        try check(!host.isEmpty, "admin.host", "must not be empty")
        try check(requestTimeout > .zero, "admin.requestTimeout", "must be positive")
        try check(maxRequestBytes >= 256, "admin.maxRequestBytes", "must be at least 256")
        try check(maxConnections > 0, "admin.maxConnections", "must be positive")
    }
}
