import CourierAuth
import CourierSession
import CourierWire
import CoreMetrics
import NIOCore

/// Everything `CourierServer` needs to know. Every limit has a number.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (see `CourierServer.port` after `start()`).
    public var port: Int
    /// The Courier WebSocket endpoint.
    public var path: String
    /// An optional plain RFC 6455 echo endpoint for conformance tools (off when nil).
    public var echoPath: String?
    /// Origins allowed to connect (`Origin` header); empty = any origin, including none.
    public var allowedOrigins: Set<String>
    public var versions: [ProtocolVersion]

    /// The server secret: signs resume tokens (via HKDF) and development tokens.
    public var secret: [UInt8]
    public var auth: AuthConfiguration

    public var maxMessageBytes: Int
    public var maxMessagesPerFrame: Int
    /// Outgoing WebSocket messages are cut at about this size.
    public var maxOutboundBatchBytes: Int
    /// Payloads of at least this many bytes are written by reference to every recipient
    /// (one buffer shared by all, a gather write); smaller ones are copied into each
    /// recipient's batch, which costs less than one more buffer to write.
    public var sharedPayloadBytes: Int
    public var maxSubscriptionsPerConnection: Int
    public var upgradeTimeout: Duration
    public var handshakeTimeout: Duration
    public var heartbeatInterval: Duration
    /// The tick of each event loop's timer wheel (handshake deadlines, heartbeats): a
    /// deadline fires no earlier than due and at most this late. 1 ms ... 1 s.
    public var timerResolution: Duration
    /// How long a disconnected session waits for a resume.
    public var resumeWindow: Duration
    /// Lifetime of each resume token.
    public var resumeTokenLifetime: Duration
    public var replayLimits: OutboundReliability.Limits
    /// Bytes written to one connection but not yet taken by the kernel above which it
    /// counts as unable to keep up: the server stops writing data and reading from it
    /// (data waits in its queues) until it drains below `outboundLowWater`.
    public var outboundHighWater: Int
    public var outboundLowWater: Int
    /// Payload bytes of data waiting for one connection, per channel and in all (§16.2).
    public var queueBytesPerChannel: Int
    public var queueBytesPerConnection: Int
    /// What a full channel queue does, per topic.
    public var topicPolicies: TopicPolicies
    /// The credit window this server grants each client (§16.3).
    public var receiveWindow: ReceiveWindow.Limits
    /// Recent messages kept per topic for recovery (nil: no history). Used by the
    /// default in-memory broker.
    public var history: TopicHistory.Limits?
    /// Most topics with a history (the oldest is forgotten first).
    public var maxHistoryTopics: Int
    /// Dictionaries, delta formats and the bounds of delta state (§20).
    public var compression: ServerCompression
    /// Where publications go between nodes (nil: an `InMemoryBroker` with `history`).
    public var broker: (any Broker)?
    /// Per connection: incoming data messages and bytes per second.
    public var rateLimits: RateLimiter.Limits
    /// Per client address: new connections per second, failed handshakes per minute.
    public var addressLimits: AddressLimiter.Limits
    public var eventLoopThreads: Int
    public var clock: ServerClock
    /// How a graceful stop (SIGTERM) sends clients away and for how long it waits.
    public var drain: DrainPolicy
    /// Where a drain saves the detached sessions and the next start takes them back
    /// (`SessionSnapshot`); nil: sessions end with the process.
    public var sessionSnapshotPath: String?
    /// `wss://`: the certificate chain and key files (PEM). Nil (the default): plain
    /// `ws://`, and no TLS handler in any connection's pipeline. The files are read
    /// once, when the server is created; a problem with them fails `CourierServer.init`.
    public var tls: ServerTLS?
    /// The admin HTTP listener (`/metrics`, `/health`, `/ready`); nil: none.
    public var admin: AdminListener?
    /// Where the server's metrics go; nil: the process's `MetricsSystem.factory`
    /// (whatever backend the application bootstrapped, none by default).
    public var metricsFactory: (any MetricsFactory)?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, path: String = "/", echoPath: String? = nil,
        allowedOrigins: Set<String> = [], versions: [ProtocolVersion] = [.v2, .v1],
        secret: [UInt8], auth: AuthConfiguration,
        maxMessageBytes: Int = 1 << 20, maxMessagesPerFrame: Int = 1_024, maxOutboundBatchBytes: Int = 64 << 10,
        maxSubscriptionsPerConnection: Int = 1_024,
        upgradeTimeout: Duration = .seconds(10), handshakeTimeout: Duration = .seconds(10),
        heartbeatInterval: Duration = .seconds(15), resumeWindow: Duration = .seconds(120),
        resumeTokenLifetime: Duration = .seconds(86_400), replayLimits: OutboundReliability.Limits = .init(),
        outboundHighWater: Int = 256 * 1_024, outboundLowWater: Int = 64 * 1_024,
        queueBytesPerChannel: Int = 256 * 1_024, queueBytesPerConnection: Int = 1 << 20,
        topicPolicies: TopicPolicies = TopicPolicies(), receiveWindow: ReceiveWindow.Limits = .init(),
        history: TopicHistory.Limits? = .init(), maxHistoryTopics: Int = 1_000,
        rateLimits: RateLimiter.Limits = .init(), addressLimits: AddressLimiter.Limits = .init(),
        eventLoopThreads: Int = System.coreCount, clock: ServerClock = .system
    ) {
        self.host = host
        self.port = port
        self.path = path
        self.echoPath = echoPath
        self.allowedOrigins = allowedOrigins
        self.versions = versions
        self.secret = secret
        self.auth = auth
        self.maxMessageBytes = maxMessageBytes
        self.maxMessagesPerFrame = maxMessagesPerFrame
        self.maxOutboundBatchBytes = maxOutboundBatchBytes
        self.sharedPayloadBytes = 2_048
        self.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        self.upgradeTimeout = upgradeTimeout
        self.handshakeTimeout = handshakeTimeout
        self.heartbeatInterval = heartbeatInterval
        self.timerResolution = ConnectionTimers.defaultResolution
        self.resumeWindow = resumeWindow
        self.resumeTokenLifetime = resumeTokenLifetime
        self.replayLimits = replayLimits
        self.outboundHighWater = outboundHighWater
        self.outboundLowWater = outboundLowWater
        self.queueBytesPerChannel = queueBytesPerChannel
        self.queueBytesPerConnection = queueBytesPerConnection
        self.topicPolicies = topicPolicies
        self.receiveWindow = receiveWindow
        self.history = history
        self.maxHistoryTopics = maxHistoryTopics
        self.broker = nil
        self.compression = ServerCompression()
        self.rateLimits = rateLimits
        self.addressLimits = addressLimits
        self.eventLoopThreads = eventLoopThreads
        self.clock = clock
        self.drain = DrainPolicy()
        self.sessionSnapshotPath = nil
        self.tls = nil
        self.admin = nil
        self.metricsFactory = nil
    }

    /// The largest WebSocket message accepted: a full message plus headroom for a batch header.
    var maxFrameBytes: Int { maxMessageBytes + 64 * 1_024 }

    /// A configuration value out of its range: which key, and what is wrong.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let key: String
        public let problem: String
        public var description: String { "\(key): \(problem)" }
    }

    /// Checks every limit; `CourierServer` refuses to start with an invalid one, so no
    /// value here can trap later while serving.
    public func validate() throws(Invalid) {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws(Invalid) {
            if !ok { throw Invalid(key: key, problem: problem) }
        }
        try check((0...65_535).contains(port), "port", "must be 0...65535, got \(port)")
        try check(path.hasPrefix("/"), "path", "must start with /")
        try check(secret.count >= 32, "secret", "must be at least 32 bytes")
        try check(maxMessageBytes > 0 && maxMessageBytes <= Int(UInt32.max) - 65_536, "maxMessageBytes", "must be 1...\(Int(UInt32.max) - 65_536), got \(maxMessageBytes)")
        try check(maxMessagesPerFrame > 0, "maxMessagesPerFrame", "must be positive")
        try check(sharedPayloadBytes >= 0, "sharedPayloadBytes", "must not be negative (0 shares every payload)")
        try check(maxOutboundBatchBytes > 0, "maxOutboundBatchBytes", "must be positive")
        try check(maxSubscriptionsPerConnection > 0, "maxSubscriptionsPerConnection", "must be positive")
        try check(upgradeTimeout > .zero, "upgradeTimeout", "must be positive")
        let maxHintMillis = Int64(UInt32.max)
        try check(drain.retryAfter >= .zero && drain.retryAfter.milliseconds <= maxHintMillis, "drain.retryAfter", "must be 0...\(maxHintMillis) ms")
        try check(drain.jitter >= .zero && drain.jitter.milliseconds <= maxHintMillis, "drain.jitter", "must be 0...\(maxHintMillis) ms")
        try check(drain.deadline > .zero, "drain.deadline", "must be positive")
        try check(sessionSnapshotPath.map { !$0.isEmpty } ?? true, "sessionSnapshotPath", "must not be empty (nil: no snapshot)")
        if let tls {
            try check(!tls.certificateChainPath.isEmpty, "tls.certificateChainPath", "must not be empty")
            try check(!tls.privateKeyPath.isEmpty, "tls.privateKeyPath", "must not be empty")
        }
        try check(handshakeTimeout > .zero, "handshakeTimeout", "must be positive")
        try check(heartbeatInterval >= .zero, "heartbeatInterval", "must not be negative (0 disables heartbeats)")
        try check(timerResolution >= .milliseconds(1) && timerResolution <= .seconds(1), "timerResolution", "must be 1 ms ... 1 s")
        try check(resumeWindow >= .zero, "resumeWindow", "must not be negative")
        try check(resumeTokenLifetime > .zero, "resumeTokenLifetime", "must be positive")
        try check(outboundLowWater > 0 && outboundLowWater < outboundHighWater, "outboundLowWater", "need 0 < outboundLowWater < outboundHighWater")
        try check(queueBytesPerChannel > 0, "queueBytesPerChannel", "must be positive")
        try check(queueBytesPerConnection >= queueBytesPerChannel, "queueBytesPerConnection", "must be at least queueBytesPerChannel")
        // The limit types trap on bad values at construction, but their fields are
        // mutable: check them here too, so nothing traps per connection later.
        try check(receiveWindow.isValid, "receiveWindow", "needs 0 < min ≤ initial ≤ max ≤ \(ReceiveWindow.Limits.largestWindow), for messages and bytes")
        try check(replayLimits.maxMessages > 0 && replayLimits.maxBytes > 0, "replayLimits", "must be positive")
        let rates = rateLimits
        try check(rates.messagesPerSecond > 0 && rates.bytesPerSecond > 0 && rates.burstSeconds > 0 && rates.window > .zero && rates.strikesBeforeClose > 0,
                  "rateLimits", "every rate, the burst, the window and the strikes must be positive")
        let addresses = addressLimits
        try check(addresses.connectionsPerSecond > 0 && addresses.connectionBurst >= 1 && addresses.failedHandshakesPerMinute > 0 && addresses.maxAddresses > 0,
                  "addressLimits", "rates and maxAddresses must be positive, connectionBurst at least 1")
        if let history {
            try check(history.maxMessages > 0 && history.maxBytes > 0 && history.maxAge > .zero, "history", "maxMessages, maxBytes and maxAge must be positive")
        }
        try check(receiveWindow.minBytes >= maxMessageBytes, "receiveWindow.minBytes", "must be at least maxMessageBytes (\(maxMessageBytes)) so a message always fits")
        try check(maxHistoryTopics > 0, "maxHistoryTopics", "must be positive")
        try check(eventLoopThreads > 0, "eventLoopThreads", "must be positive")
        try admin?.validate()
        try compression.validate()
    }
}
