import CourierAuth
import CourierServer
import CourierSession
import CourierWire
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix

/// A real Courier server on 127.0.0.1 with an ephemeral port, known keys and short
/// timeouts, for integration tests.
struct TestServer {
    static let secret = Array("courier-integration-test-secret-0123456789".utf8)
    static let hmacKeyID = "test-key"
    static let hmacSecret = Array("hmac-secret-for-integration-tests-0123".utf8)

    let server: CourierServer
    let port: Int
    let group: MultiThreadedEventLoopGroup

    static func start(
        heartbeat: Duration = .seconds(15), handshakeTimeout: Duration = .seconds(10), upgradeTimeout: Duration = .seconds(10),
        resumeWindow: Duration = .seconds(120), maxMessageBytes: Int = 1 << 20,
        replayLimits: CourierSession.OutboundReliability.Limits = .init(), clock: ServerClock = .system,
        allowedOrigins: Set<String> = [], echoPath: String? = nil,
        rateLimits: RateLimiter.Limits = .init(), addressLimits: AddressLimiter.Limits = .init(),
        history: TopicHistory.Limits? = .init(), outboundHighWater: Int = 256 * 1_024, outboundLowWater: Int = 64 * 1_024,
        queueBytesPerChannel: Int = 256 * 1_024, topicPolicies: TopicPolicies = TopicPolicies(),
        receiveWindow: ReceiveWindow.Limits = .init(), sharedPayloadBytes: Int = 2_048, broker: (any Broker)? = nil,
        port: Int = 0, drain: DrainPolicy = .init(), sessionSnapshotPath: String? = nil, tls: ServerTLS? = nil,
        admin: AdminListener? = nil, metricsFactory: (any MetricsFactory)? = nil, logger customLogger: Logger? = nil,
        compression: ServerCompression = ServerCompression()
    ) async throws -> TestServer {
        let auth = try AuthConfiguration(
            hmacKeys: [try HMACCredential(keyID: hmacKeyID, secret: hmacSecret, principal: Principal(userID: "hmac-user", publish: [">"], subscribe: [">"]))],
            jwtKeys: [try JWTVerificationKey.hs256(secret: secret)],
            audience: "courier-tests", issuer: "courier-test-suite"
        )
        var logger = Logger(label: "courier.test")
        logger.logLevel = ProcessInfo.processInfo.environment["COURIER_TEST_LOG"] == nil ? .critical : .debug
        if let customLogger { logger = customLogger }
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: port, echoPath: echoPath, allowedOrigins: allowedOrigins, secret: secret, auth: auth,
            maxMessageBytes: maxMessageBytes, upgradeTimeout: upgradeTimeout, handshakeTimeout: handshakeTimeout,
            heartbeatInterval: heartbeat, resumeWindow: resumeWindow, replayLimits: replayLimits,
            outboundHighWater: outboundHighWater, outboundLowWater: outboundLowWater,
            queueBytesPerChannel: queueBytesPerChannel, topicPolicies: topicPolicies, receiveWindow: receiveWindow,
            history: history, rateLimits: rateLimits, addressLimits: addressLimits, eventLoopThreads: 2, clock: clock
        )
        configuration.sharedPayloadBytes = sharedPayloadBytes
        configuration.broker = broker
        configuration.drain = drain
        configuration.sessionSnapshotPath = sessionSnapshotPath
        configuration.tls = tls
        configuration.admin = admin
        configuration.metricsFactory = metricsFactory
        configuration.compression = compression
        let server = try await CourierServer(configuration: configuration, logger: logger)
        try await server.start()
        return TestServer(server: server, port: server.port!, group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
    }

    func token(user: String = "alice", publish: [String] = [">"], subscribe: [String] = [">"], audience: String? = "courier-tests",
               issuer: String? = "courier-test-suite", lifetime: Duration = .seconds(600), now: Date = Date()) async throws -> String {
        try await DevelopmentToken.mint(secret: Self.secret, subject: user, publish: publish, subscribe: subscribe, audience: audience, issuer: issuer, lifetime: lifetime, now: now)
    }

    func stop() async {
        await server.shutdown(grace: .milliseconds(200))
        try? await group.shutdownGracefully()
    }
}
