import ArgumentParser
import CourierAuth
import CourierServer
import CourierSession
import Configuration
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
        Settings come from --config FILE (JSON), then COURIER_<KEY> environment
        variables, then flags, each overriding the one before (docs/OPERATIONS.md).
        Without a secret, a development secret is generated and a ready-to-use token is
        printed. Tokens are HS256 JWTs signed with the secret
        (mint more with `courier token`). SIGINT/SIGTERM close every session cleanly.
        """
    )

    @Option(help: "A JSON configuration file (keys: docs/OPERATIONS.md). Environment variables COURIER_<KEY> override it, flags override both.")
    var config: String?
    @Flag(help: "Print the effective configuration (file format, secrets redacted) and exit.") var printConfig = false
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (0 = any free port; default 8080).") var port: Int?
    @Option(help: "Server secret (hex, base64 or ≥ 32 characters). Default: $COURIER_SECRET, else a generated development secret.")
    var secret: String?
    @Option(help: "Enable a plain RFC 6455 echo endpoint at this path (for conformance tools).") var echoPath: String?
    @Option(help: "Allowed Origin header value (repeatable). Default: any.") var allowedOrigin: [String] = []
    @Option(help: "HMAC key as id:secret:user[:publish-pattern,…[:subscribe-pattern,…]] (repeatable).") var hmacKey: [String] = []
    @Option(help: "Required JWT audience.") var jwtAudience: String?
    @Option(help: "Required JWT issuer.") var jwtIssuer: String?
    @Option(help: "Heartbeat interval in milliseconds (default 15000; 0 disables).") var heartbeatMs: Int?
    @Option(help: "Tick of each event loop's timer wheel for handshake and heartbeat deadlines, in milliseconds (1...1000; default 20).")
    var timerResolutionMs: Int?
    @Option(help: "Handshake deadline in milliseconds (default 10000).") var handshakeTimeoutMs: Int?
    @Option(help: "How long a disconnected session waits for a resume, in seconds (default 120).") var resumeWindowSeconds: Int?
    @Option(help: "Largest message body accepted, in bytes (default 1048576).") var maxMessageBytes: Int?
    @Option(help: "Most subscriptions per connection (default 1024).") var maxSubscriptions: Int?
    @Option(help: "Replay buffer per session: messages (default 4096).") var replayMessages: Int?
    @Option(help: "Replay buffer per session: bytes (default 8388608).") var replayBytes: Int?
    @Option(help: "Slow-consumer policy of a topic pattern as PATTERN=POLICY, POLICY one of dropOldest, keepLatest, disconnect (repeatable; first match wins).")
    var topicPolicy: [String] = []
    @Option(help: "Policy of topics no --topic-policy matches (default dropOldest).") var defaultPolicy: String?
    @Option(help: "Data waiting for one connection: payload bytes per channel (default 262144).") var queueBytesPerChannel: Int?
    @Option(help: "Data waiting for one connection: payload bytes in all (default 1048576).") var queueBytesPerConnection: Int?
    @Option(help: "Topic history: messages kept per topic (0 turns history off; default 100).") var historyMessages: Int?
    @Option(help: "Topic history: payload bytes kept per topic (default 262144).") var historyBytes: Int?
    @Option(help: "Topic history: seconds a message is kept (default 300).") var historySeconds: Int?
    @Option(help: "Per connection: data messages per second, burst one second's worth (default 20000).") var messagesPerSecond: Int?
    @Option(help: "Per connection: data payload bytes per second (default 33554432).") var bytesPerSecond: Int?
    @Option(help: "Per client address: new connections per second (default 50).") var connectionsPerSecond: Int?
    @Option(help: "Per client address: connections allowed in a burst (default 200).") var connectionBurst: Int?
    @Option(help: "Per client address: failed handshakes per minute (default 30).") var failedHandshakesPerMinute: Int?
    @Option(help: "Payloads of at least this many bytes are written to every recipient from one shared buffer; smaller ones are copied (0 shares all; default 2048).")
    var sharedPayloadBytes: Int?
    @Option(help: "On SIGTERM: clients are told to wait at least this many milliseconds before reconnecting (Close 1012; default 1000).") var drainRetryAfterMs: Int?
    @Option(help: "On SIGTERM: …plus a uniform share of this many milliseconds, so they do not all return at once (default 5000).") var drainJitterMs: Int?
    @Option(help: "On SIGTERM: longest wait for connections to close, in milliseconds (default 10000).") var drainDeadlineMs: Int?
    @Option(help: "File where SIGTERM saves the waiting sessions and the next start resumes them (mode 0600, deleted once read). Default: sessions end with the process.")
    var sessionSnapshot: String?
    @Option(help: "Serve wss:// (TLS): PEM file with the server certificate, then any intermediates. Needs --tls-key.")
    var tlsCert: String?
    @Option(help: "Serve wss:// (TLS): PEM file with the private key of --tls-cert.") var tlsKey: String?
    @Option(help: "A preset dictionary file for compression (from `courier dict train`); repeat for several (at most 16).")
    var dictionary: [String] = []
    @Option(help: "on or off: the compression extension (COMPRESSED pass-through to agreeing clients, server-made deltas; default on).")
    var compression: String?
    @Option(help: "DeltaUpdate keys whose latest value the server keeps per topic, for deltas and snapshots (default 10000).")
    var deltaKeysPerTopic: Int?
    @Option(help: "Event loop threads (default: one per core).") var threads: Int?
    @Flag(help: .hidden) var stopWhenStdinCloses = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info).") var logLevel: String?
    @Option(help: "Admin listener address (/metrics, /health, /ready; no authentication: keep it private; default 127.0.0.1).") var adminHost: String?
    @Option(help: "Admin listener port (0 = any free port). Default: no admin listener.") var adminPort: Int?

    /// The flags given on the command line, by settings key (the top layer of the configuration).
    func givenFlags() -> [String: ConfigContent] {
        var flags: [String: ConfigContent] = [:]
        func put(_ key: String, _ value: Int?) { if let value { flags[key] = .int(value) } }
        func put(_ key: String, _ value: String?) { if let value { flags[key] = .string(value) } }
        func put(_ key: String, _ values: [String]) { if !values.isEmpty { flags[key] = .stringArray(values) } }
        put("host", host)
        put("port", port)
        put("secret", secret)
        put("echoPath", echoPath)
        put("allowedOrigins", allowedOrigin)
        put("hmacKeys", hmacKey)
        put("jwtAudience", jwtAudience)
        put("jwtIssuer", jwtIssuer)
        put("heartbeatMs", heartbeatMs)
        put("timerResolutionMs", timerResolutionMs)
        put("handshakeTimeoutMs", handshakeTimeoutMs)
        put("resumeWindowSeconds", resumeWindowSeconds)
        put("maxMessageBytes", maxMessageBytes)
        put("maxSubscriptions", maxSubscriptions)
        put("replayMessages", replayMessages)
        put("replayBytes", replayBytes)
        put("topicPolicies", topicPolicy)
        put("defaultPolicy", defaultPolicy)
        put("queueBytesPerChannel", queueBytesPerChannel)
        put("queueBytesPerConnection", queueBytesPerConnection)
        put("historyMessages", historyMessages)
        put("historyBytes", historyBytes)
        put("historySeconds", historySeconds)
        put("messagesPerSecond", messagesPerSecond)
        put("bytesPerSecond", bytesPerSecond)
        put("connectionsPerSecond", connectionsPerSecond)
        put("connectionBurst", connectionBurst)
        put("failedHandshakesPerMinute", failedHandshakesPerMinute)
        put("sharedPayloadBytes", sharedPayloadBytes)
        put("drainRetryAfterMs", drainRetryAfterMs)
        put("drainJitterMs", drainJitterMs)
        put("drainDeadlineMs", drainDeadlineMs)
        put("sessionSnapshot", sessionSnapshot)
        put("tlsCert", tlsCert)
        put("tlsKey", tlsKey)
        put("dictionaries", dictionary)
        put("compression", compression)
        put("deltaKeysPerTopic", deltaKeysPerTopic)
        put("threads", threads)
        put("logLevel", logLevel)
        put("adminHost", adminHost)
        put("adminPort", adminPort)
        return flags
    }

    func run() async throws {
        let settings: ServerSettings
        do {
            settings = try await ServerSettings.load(file: config, environment: ProcessInfo.processInfo.environment, flags: givenFlags())
            try settings.validate()
        } catch {
            throw ConfigurationError(description: "configuration: \(error)")
        }
        if printConfig {
            print(settings.renderJSON(), terminator: "")
            return
        }
        var logger = Logger(label: "courier")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let secretBytes = try settings.secretBytes() ?? DevelopmentToken.generateSecret()
        let generated = settings.secret == nil
        var configuration: ServerConfiguration
        do {
            configuration = try settings.serverConfiguration(secret: secretBytes, defaultThreads: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw ConfigurationError(description: "configuration: \(error)")
        }
        if configuration.admin != nil {
            configuration.admin?.metrics = PrometheusExport.bootstrap()
        }
        let server: CourierServer
        do {
            server = try await CourierServer(configuration: configuration, logger: logger)
        } catch let invalid as ServerConfiguration.Invalid {
            // The TLS files are read here: name them by their settings keys (--tls-cert, --tls-key).
            throw ConfigurationError(description: "configuration: \(ServerSettings.settingsKey(forConfigurationKey: invalid.key)): \(invalid.problem)")
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
                    await printBanner(settings: settings, port: port, adminPort: server.adminPort, secret: secretBytes, generated: generated)
                    return
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        try await group.run()
        banner.cancel()
    }

    func printBanner(settings: ServerSettings, port: Int, adminPort: Int?, secret: [UInt8], generated: Bool) async {
        let host = settings.host
        let url = "\(settings.tlsCert == nil ? "ws" : "wss")://\(host):\(port)/"
        var lines = ["Courier is listening on \(url) (subprotocols courier.v2, courier.v1)"]
        if let adminPort { lines.append("Admin: http://\(settings.adminHost):\(adminPort)/metrics, /health, /ready") }
        if generated {
            let token = (try? await DevelopmentToken.mint(
                secret: secret, subject: "dev", publish: [">"], subscribe: [">"], audience: settings.jwtAudience, issuer: settings.jwtIssuer,
                lifetime: .seconds(86_400), now: Date()
            )) ?? "(could not mint a token)"
            lines += [
                "Development secret (set COURIER_SECRET to keep it): \(DevelopmentToken.hexString(secret))",
                "Token for user \"dev\" (publish and subscribe to everything, valid 24 h):",
                "  \(token)",
                "Connect from Swift:",
                settings.tlsCert == nil
                    ? "  let client = CourierClient(configuration: .init(host: \"\(host)\", port: \(port), authentication: .jwt(token: \"<token>\"))); try await client.connect()"
                    : "  let client = CourierClient(configuration: .init(host: \"\(host)\", port: \(port), authentication: .jwt(token: \"<token>\"), tls: .init())); try await client.connect()"
                    + "\n  (a private CA or self-signed certificate: tls: .init(trustRoots: .pemFile(\"ca.pem\")))",
                "Mint more tokens: swift run courier token --secret \(DevelopmentToken.hexString(secret)) --sub alice --publish 'chat.>' --subscribe 'chat.>'",
            ]
        }
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }
}

/// A configuration the server cannot start with: said without the usage text that
/// `ValidationError` adds (the message names the key, its flag and variable).
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
}
