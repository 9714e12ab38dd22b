import ArgumentParser
import CourierAuth
import CourierServer
import CourierSession
import CourierWire
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `courier serve`: the Courier server with the embedded in-memory broker.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Courier server (WebSocket endpoint at /, in-memory broker).",
        discussion: """
        Without --secret or COURIER_SECRET, a development secret is generated and a
        ready-to-use token is printed. Tokens are HS256 JWTs signed with the secret
        (mint more with `courier token`). SIGINT/SIGTERM close every session cleanly.
        """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 = any free port).") var port = 8080
    @Option(help: "Server secret (hex, base64 or ≥ 32 characters). Default: $COURIER_SECRET, else a generated development secret.")
    var secret: String?
    @Option(help: "Enable a plain RFC 6455 echo endpoint at this path (for conformance tools).") var echoPath: String?
    @Option(help: "Allowed Origin header value (repeatable). Default: any.") var allowedOrigin: [String] = []
    @Option(help: "HMAC key as id:secret:user[:publish-pattern,…[:subscribe-pattern,…]] (repeatable).") var hmacKey: [String] = []
    @Option(help: "Required JWT audience.") var jwtAudience: String?
    @Option(help: "Required JWT issuer.") var jwtIssuer: String?
    @Option(help: "Heartbeat interval in milliseconds.") var heartbeatMs = 15_000
    @Option(help: "Handshake deadline in milliseconds.") var handshakeTimeoutMs = 10_000
    @Option(help: "How long a disconnected session waits for a resume, in seconds.") var resumeWindowSeconds = 120
    @Option(help: "Largest message body accepted, in bytes.") var maxMessageBytes = 1 << 20
    @Option(help: "Most subscriptions per connection.") var maxSubscriptions = 1_024
    @Option(help: "Replay buffer per session: messages.") var replayMessages = 4_096
    @Option(help: "Replay buffer per session: bytes.") var replayBytes = 8 << 20
    @Option(help: "Slow-consumer policy of a topic pattern as PATTERN=POLICY, POLICY one of dropOldest, keepLatest, disconnect (repeatable; first match wins).")
    var topicPolicy: [String] = []
    @Option(help: "Policy of topics no --topic-policy matches.") var defaultPolicy = "dropOldest"
    @Option(help: "Data waiting for one connection: payload bytes per channel.") var queueBytesPerChannel = 256 * 1_024
    @Option(help: "Data waiting for one connection: payload bytes in all.") var queueBytesPerConnection = 1 << 20
    @Option(help: "Topic history: messages kept per topic (0 turns history off).") var historyMessages = 100
    @Option(help: "Topic history: payload bytes kept per topic.") var historyBytes = 256 * 1_024
    @Option(help: "Topic history: seconds a message is kept.") var historySeconds = 300
    @Option(help: "Per connection: data messages per second (burst: one second's worth).") var messagesPerSecond = 20_000
    @Option(help: "Per connection: data payload bytes per second.") var bytesPerSecond = 32 << 20
    @Option(help: "Per client address: new connections per second.") var connectionsPerSecond = 50
    @Option(help: "Per client address: connections allowed in a burst.") var connectionBurst = 200
    @Option(help: "Per client address: failed handshakes per minute.") var failedHandshakesPerMinute = 30
    @Option(help: "Payloads of at least this many bytes are written to every recipient from one shared buffer; smaller ones are copied (0 shares all).")
    var sharedPayloadBytes = 2_048
    @Option(help: "On SIGTERM: clients are told to wait at least this many milliseconds before reconnecting (Close 1012).") var drainRetryAfterMs = 1_000
    @Option(help: "On SIGTERM: …plus a uniform share of this many milliseconds, so they do not all return at once.") var drainJitterMs = 5_000
    @Option(help: "On SIGTERM: longest wait for connections to close, in milliseconds.") var drainDeadlineMs = 10_000
    @Option(help: "File where SIGTERM saves the waiting sessions and the next start resumes them (mode 0600, deleted once read). Default: sessions end with the process.")
    var sessionSnapshot: String?
    @Option(help: "Serve wss:// (TLS): PEM file with the server certificate, then any intermediates. Needs --tls-key.")
    var tlsCert: String?
    @Option(help: "Serve wss:// (TLS): PEM file with the private key of --tls-cert.") var tlsKey: String?
    @Option(help: "Event loop threads (default: one per core).") var threads: Int?
    @Flag(help: .hidden) var stopWhenStdinCloses = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    /// Flag values that the limit types would otherwise refuse with a trap.
    func validate() throws {
        func positive(_ value: Int, _ flag: String) throws {
            guard value > 0 else { throw ValidationError("--\(flag) must be positive, got \(value)") }
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together (wss://): give both or neither") }
        try positive(handshakeTimeoutMs, "handshake-timeout-ms")
        try positive(maxMessageBytes, "max-message-bytes")
        try positive(maxSubscriptions, "max-subscriptions")
        try positive(replayMessages, "replay-messages")
        try positive(replayBytes, "replay-bytes")
        if let threads { try positive(threads, "threads") }
        try positive(queueBytesPerChannel, "queue-bytes-per-channel")
        guard sharedPayloadBytes >= 0 else { throw ValidationError("--shared-payload-bytes must not be negative") }
        guard historyMessages >= 0 else { throw ValidationError("--history-messages must not be negative (0 turns history off)") }
        try positive(historyBytes, "history-bytes")
        try positive(historySeconds, "history-seconds")
        try positive(messagesPerSecond, "messages-per-second")
        try positive(bytesPerSecond, "bytes-per-second")
        try positive(connectionsPerSecond, "connections-per-second")
        try positive(connectionBurst, "connection-burst")
        try positive(failedHandshakesPerMinute, "failed-handshakes-per-minute")
        try positive(queueBytesPerConnection, "queue-bytes-per-connection")
        _ = try policies()
        guard heartbeatMs >= 0 else { throw ValidationError("--heartbeat-ms must not be negative (0 disables heartbeats)") }
        guard resumeWindowSeconds >= 0 else { throw ValidationError("--resume-window-seconds must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
    }

    func run() async throws {
        var logger = Logger(label: "courier")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let (secretBytes, generated) = try resolveSecret()
        var hmacCredentials: [HMACCredential] = []
        for spec in hmacKey { hmacCredentials.append(try Self.parseHMACKey(spec)) }
        let auth = try AuthConfiguration(
            hmacKeys: hmacCredentials,
            jwtKeys: [try JWTVerificationKey.hs256(secret: secretBytes)],
            audience: jwtAudience, issuer: jwtIssuer
        )
        var configuration = ServerConfiguration(
            host: host, port: port, echoPath: echoPath, allowedOrigins: Set(allowedOrigin),
            secret: secretBytes, auth: auth, maxMessageBytes: maxMessageBytes,
            maxSubscriptionsPerConnection: maxSubscriptions,
            handshakeTimeout: .milliseconds(handshakeTimeoutMs), heartbeatInterval: .milliseconds(heartbeatMs),
            resumeWindow: .seconds(resumeWindowSeconds),
            replayLimits: .init(maxMessages: replayMessages, maxBytes: replayBytes),
            queueBytesPerChannel: queueBytesPerChannel, queueBytesPerConnection: queueBytesPerConnection,
            topicPolicies: try policies(),
            receiveWindow: ReceiveWindow.Limits().accommodating(messageBytes: maxMessageBytes),
            history: historyMessages == 0 ? nil : .init(maxMessages: historyMessages, maxBytes: historyBytes, maxAge: .seconds(historySeconds)),
            rateLimits: .init(messagesPerSecond: Double(messagesPerSecond), bytesPerSecond: Double(bytesPerSecond)),
            addressLimits: .init(connectionsPerSecond: Double(connectionsPerSecond), connectionBurst: Double(connectionBurst), failedHandshakesPerMinute: Double(failedHandshakesPerMinute)),
            eventLoopThreads: threads ?? ProcessInfo.processInfo.activeProcessorCount
        )
        configuration.sharedPayloadBytes = sharedPayloadBytes
        configuration.drain = DrainPolicy(
            retryAfter: .milliseconds(drainRetryAfterMs), jitter: .milliseconds(drainJitterMs), deadline: .milliseconds(drainDeadlineMs)
        )
        configuration.sessionSnapshotPath = sessionSnapshot
        if let tlsCert, let tlsKey { configuration.tls = ServerTLS(certificateChainPath: tlsCert, privateKeyPath: tlsKey) }
        let server: CourierServer
        do {
            server = try await CourierServer(configuration: configuration, logger: logger)
        } catch let invalid as ServerConfiguration.Invalid where invalid.key.hasPrefix("tls") {
            let flag = invalid.key == "tls.privateKeyPath" ? "--tls-key" : invalid.key == "tls.certificateChainPath" ? "--tls-cert" : "--tls-cert/--tls-key"
            throw ValidationError("\(flag): \(invalid.problem)")
        }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        if stopWhenStdinCloses {
            // `courier bench` runs the server as a child: when the bench goes away,
            // however it ends, its end of the pipe closes and the server shuts down.
            Thread.detachNewThread {
                while !FileHandle.standardInput.availableData.isEmpty {}
                kill(getpid(), SIGTERM)
            }
        }
        let banner = Task {
            // Print how to connect once the port is bound.
            for _ in 0..<200 {
                if let port = server.port {
                    await printBanner(port: port, secret: secretBytes, generated: generated)
                    return
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        try await group.run()
        banner.cancel()
    }

    func policies() throws -> TopicPolicies {
        guard let fallback = SlowConsumerPolicy(rawValue: defaultPolicy) else {
            throw ValidationError("--default-policy must be one of \(SlowConsumerPolicy.allCases.map(\.rawValue).joined(separator: ", ")), got \(defaultPolicy)")
        }
        do {
            return TopicPolicies(rules: try topicPolicy.map(TopicPolicies.parseRule), defaultPolicy: fallback)
        } catch {
            throw ValidationError("--topic-policy \(error.problem)")
        }
    }

    func resolveSecret() throws -> ([UInt8], generated: Bool) {
        if let text = secret ?? ProcessInfo.processInfo.environment["COURIER_SECRET"] {
            do {
                return (try DevelopmentToken.readSecret(text), false)
            } catch {
                throw ValidationError("the server secret is unusable: \(error)")
            }
        }
        return (DevelopmentToken.generateSecret(), true)
    }

    func printBanner(port: Int, secret: [UInt8], generated: Bool) async {
        let url = "\(tlsCert == nil ? "ws" : "wss")://\(host):\(port)/"
        var lines = ["Courier is listening on \(url) (subprotocols courier.v2, courier.v1)"]
        if generated {
            let token = (try? await DevelopmentToken.mint(
                secret: secret, subject: "dev", publish: [">"], subscribe: [">"], audience: jwtAudience, issuer: jwtIssuer,
                lifetime: .seconds(86_400), now: Date()
            )) ?? "(could not mint a token)"
            lines += [
                "Development secret (set COURIER_SECRET to keep it): \(DevelopmentToken.hexString(secret))",
                "Token for user \"dev\" (publish and subscribe to everything, valid 24 h):",
                "  \(token)",
                "Connect from Swift:",
                tlsCert == nil
                    ? "  let client = CourierClient(configuration: .init(host: \"\(host)\", port: \(port), authentication: .jwt(token: \"<token>\"))); try await client.connect()"
                    : "  let client = CourierClient(configuration: .init(host: \"\(host)\", port: \(port), authentication: .jwt(token: \"<token>\"), tls: .init())); try await client.connect()"
                    + "\n  (a private CA or self-signed certificate: tls: .init(trustRoots: .pemFile(\"ca.pem\")))",
                "Mint more tokens: swift run courier token --secret \(DevelopmentToken.hexString(secret)) --sub alice --publish 'chat.>' --subscribe 'chat.>'",
            ]
        }
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }

    static func parseHMACKey(_ spec: String) throws -> HMACCredential {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else { throw ValidationError("--hmac-key must be id:secret:user[:publish,…[:subscribe,…]], got \(parts.count) fields") }
        let patterns = { (index: Int) -> [String] in
            parts.count > index ? parts[index].split(separator: ",").map(String.init) : []
        }
        do {
            return try HMACCredential(
                keyID: parts[0], secret: try DevelopmentToken.readSecret(parts[1]),
                principal: Principal(userID: parts[2], publish: patterns(3), subscribe: patterns(4))
            )
        } catch {
            throw ValidationError("--hmac-key \(parts[0]): \(error)")
        }
    }
}
