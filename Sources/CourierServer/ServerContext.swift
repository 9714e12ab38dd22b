import CourierAuth
import CourierSession
import NIOConcurrencyHelpers
import CourierWire
import Logging
import Metrics
import NIOSSL

/// What every connection of one server shares.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let authenticator: Authenticator
    let resumeTokens: ResumeTokens
    let registry: SessionRegistry
    let broker: any Broker
    let metrics: ServerMetrics
    let logger: Logger
    let addressLimiter: NIOLockedValueBox<AddressLimiter>
    let flushers = PerEventLoop { TickFlusher(eventLoop: $0) }
    let loopMetrics: PerEventLoop<LoopMetrics>
    /// One timer wheel per event loop for the connections' deadlines.
    let timers: PerEventLoop<ConnectionTimers>
    /// Set when the server speaks `wss://` (`ServerConfiguration.tls`).
    let sslContext: NIOSSLContext?

    init(configuration: ServerConfiguration, authenticator: Authenticator, resumeTokens: ResumeTokens, sslContext: NIOSSLContext? = nil, logger: Logger) {
        self.configuration = configuration
        self.sslContext = sslContext
        self.timers = PerEventLoop { [clock = configuration.clock, resolution = configuration.timerResolution] in
            ConnectionTimers(eventLoop: $0, clock: clock, resolution: resolution)
        }
        self.authenticator = authenticator
        self.resumeTokens = resumeTokens
        let registry = SessionRegistry(
            resumeWindow: configuration.resumeWindow, replayLimits: configuration.replayLimits, policies: configuration.topicPolicies
        )
        self.registry = registry
        self.broker = configuration.broker ?? InMemoryBroker(historyLimits: configuration.history, maxHistoryTopics: configuration.maxHistoryTopics, compression: configuration.compression)
        broker.setSink { registry.fanOut($0) }
        let metrics = ServerMetrics(factory: configuration.metricsFactory ?? MetricsSystem.factory)
        self.metrics = metrics
        self.loopMetrics = PerEventLoop { LoopMetrics(eventLoop: $0, metrics: metrics) }
        self.logger = logger
        self.addressLimiter = NIOLockedValueBox(AddressLimiter(limits: configuration.addressLimits))
    }

    /// A handshake from `address` failed: it counts against the address's budget.
    func handshakeFailed(from address: String?) {
        guard let address else { return }
        let now = configuration.clock.now()
        addressLimiter.withLockedValue { $0.handshakeFailed(from: address, now: now) }
    }

    var authMethods: Challenge.AuthMethods {
        var methods: Challenge.AuthMethods = []
        if !configuration.auth.hmacKeys.isEmpty { methods.insert(.hmac) }
        if !configuration.auth.jwtKeys.isEmpty { methods.insert(.jwt) }
        return methods.isEmpty ? .all : methods
    }
}
