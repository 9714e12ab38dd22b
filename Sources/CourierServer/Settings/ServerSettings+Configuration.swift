import CourierCompression
import CourierAuth
import CourierSession
import Foundation
import Logging

extension ServerSettings {
    /// Checks every value that a limit type would otherwise refuse with a trap, and the
    /// ones that must parse (policies, HMAC keys, the secret, the log level).
    public func validate() throws(Invalid) {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws(Invalid) {
            if !ok { throw Invalid(key: key, problem: problem) }
        }
        func positive(_ value: Int, _ key: String) throws(Invalid) {
            try check(value > 0, key, "must be positive, got \(value)")
        }
        try check((0...65_535).contains(port), "port", "must be 0...65535, got \(port)")
        try check(!host.isEmpty, "host", "must not be empty")
        try positive(handshakeTimeoutMs, "handshakeTimeoutMs")
        try check(heartbeatMs >= 0, "heartbeatMs", "must not be negative (0 disables heartbeats), got \(heartbeatMs)")
        try check((1...1_000).contains(timerResolutionMs), "timerResolutionMs", "must be 1...1000 (milliseconds), got \(timerResolutionMs)")
        try check(resumeWindowSeconds >= 0, "resumeWindowSeconds", "must not be negative, got \(resumeWindowSeconds)")
        try positive(maxMessageBytes, "maxMessageBytes")
        try positive(maxSubscriptions, "maxSubscriptions")
        try positive(replayMessages, "replayMessages")
        try positive(replayBytes, "replayBytes")
        try positive(queueBytesPerChannel, "queueBytesPerChannel")
        try positive(queueBytesPerConnection, "queueBytesPerConnection")
        try check(historyMessages >= 0, "historyMessages", "must not be negative (0 turns history off), got \(historyMessages)")
        try positive(historyBytes, "historyBytes")
        try positive(historySeconds, "historySeconds")
        try positive(messagesPerSecond, "messagesPerSecond")
        try positive(bytesPerSecond, "bytesPerSecond")
        try positive(connectionsPerSecond, "connectionsPerSecond")
        try positive(connectionBurst, "connectionBurst")
        try positive(failedHandshakesPerMinute, "failedHandshakesPerMinute")
        try check(sharedPayloadBytes >= 0, "sharedPayloadBytes", "must not be negative (0 shares every payload), got \(sharedPayloadBytes)")
        try check(drainRetryAfterMs >= 0, "drainRetryAfterMs", "must not be negative, got \(drainRetryAfterMs)")
        try check(drainJitterMs >= 0, "drainJitterMs", "must not be negative, got \(drainJitterMs)")
        try positive(drainDeadlineMs, "drainDeadlineMs")
        try check((tlsCert == nil) == (tlsKey == nil), tlsCert == nil ? "tlsCert" : "tlsKey", "tlsCert and tlsKey go together (wss://): give both or neither")
        if let threads { try positive(threads, "threads") }
        try check(Logger.Level(rawValue: logLevel) != nil, "logLevel", "must be one of trace, debug, info, notice, warning, error, critical; got \(logLevel)")
        if let adminPort { try check((0...65_535).contains(adminPort), "adminPort", "must be 0...65535, got \(adminPort)") }
        try check(!adminHost.isEmpty, "adminHost", "must not be empty")
        _ = try policies()
        _ = try hmacCredentials()
        _ = try secretBytes()
    }

    /// The secret's bytes, or nil when none is set (the caller generates one).
    public func secretBytes() throws(Invalid) -> [UInt8]? {
        guard let secret else { return nil }
        guard secret != Self.redacted else {
            throw Invalid(key: "secret", problem: "is \(Self.redacted) (a --print-config output): put the real secret here or in COURIER_SECRET")
        }
        do {
            return try DevelopmentToken.readSecret(secret)
        } catch {
            throw Invalid(key: "secret", problem: "unusable: \(error)")
        }
    }

    public func policies() throws(Invalid) -> TopicPolicies {
        guard let fallback = SlowConsumerPolicy(rawValue: defaultPolicy) else {
            throw Invalid(key: "defaultPolicy", problem: "must be one of \(SlowConsumerPolicy.allCases.map(\.rawValue).joined(separator: ", ")), got \(defaultPolicy)")
        }
        var rules: [TopicPolicies.Rule] = []
        for text in topicPolicies {
            do {
                rules.append(try TopicPolicies.parseRule(text))
            } catch {
                throw Invalid(key: "topicPolicies", problem: error.problem)
            }
        }
        return TopicPolicies(rules: rules, defaultPolicy: fallback)
    }

    public func hmacCredentials() throws(Invalid) -> [HMACCredential] {
        var credentials: [HMACCredential] = []
        for spec in hmacKeys { credentials.append(try Self.parseHMACKey(spec)) }
        return credentials
    }

    /// `id:secret:user[:publish,…[:subscribe,…]]`.
    static func parseHMACKey(_ spec: String) throws(Invalid) -> HMACCredential {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else {
            throw Invalid(key: "hmacKeys", problem: "each must be id:secret:user[:publish,…[:subscribe,…]], got \(parts.count) fields")
        }
        let patterns = { (index: Int) -> [String] in
            parts.count > index ? parts[index].split(separator: ",").map(String.init) : []
        }
        do {
            return try HMACCredential(
                keyID: parts[0], secret: try DevelopmentToken.readSecret(parts[1]),
                principal: Principal(userID: parts[2], publish: patterns(3), subscribe: patterns(4))
            )
        } catch {
            // The error describes the problem, never the secret's bytes.
            throw Invalid(key: "hmacKeys", problem: "key \(parts[0]): \(error)")
        }
    }

    /// The server configuration these settings describe, with `secret` (this one's, or
    /// a generated development secret): HMAC keys and HS256 JWTs signed with the secret.
    ///
    /// - Throws: `Invalid` naming the settings key, also for what
    ///   `ServerConfiguration.validate()` refuses.
    public func serverConfiguration(secret: [UInt8], defaultThreads: Int) throws(Invalid) -> ServerConfiguration {
        try validate()
        let auth: AuthConfiguration
        do {
            auth = try AuthConfiguration(hmacKeys: try hmacCredentials(), jwtKeys: [try JWTVerificationKey.hs256(secret: secret)], audience: jwtAudience, issuer: jwtIssuer)
        } catch let error as Invalid {
            throw error
        } catch {
            throw Invalid(key: "hmacKeys", problem: "\(error)")
        }
        var configuration = ServerConfiguration(
            host: host, port: port, echoPath: echoPath, allowedOrigins: Set(allowedOrigins),
            secret: secret, auth: auth, maxMessageBytes: maxMessageBytes,
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
            eventLoopThreads: threads ?? defaultThreads
        )
        configuration.sharedPayloadBytes = sharedPayloadBytes
        configuration.timerResolution = .milliseconds(timerResolutionMs)
        configuration.drain = DrainPolicy(retryAfter: .milliseconds(drainRetryAfterMs), jitter: .milliseconds(drainJitterMs), deadline: .milliseconds(drainDeadlineMs))
        configuration.sessionSnapshotPath = sessionSnapshot
        if let tlsCert, let tlsKey { configuration.tls = ServerTLS(certificateChainPath: tlsCert, privateKeyPath: tlsKey) }
        if let adminPort { configuration.admin = AdminListener(host: adminHost, port: adminPort) }
        configuration.compression = try compressionSettings()
        do {
            try configuration.validate()
        } catch {
            throw Invalid(key: Self.settingsKey(forConfigurationKey: error.key), problem: error.problem)
        }
        return configuration
    }

    /// Compression: the dictionary files read and checked (CDIC format, CRC), so a bad
    /// file stops the start with its name.
    func compressionSettings() throws(Invalid) -> ServerCompression {
        var settings = ServerCompression()
        guard compression == "on" || compression == "off" else {
            throw Invalid(key: "compression", problem: "must be on or off, got \(compression)")
        }
        settings.enabled = compression == "on"
        settings.deltaKeysPerTopic = deltaKeysPerTopic
        for path in dictionaries {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw Invalid(key: "dictionaries", problem: "cannot read \(path)")
            }
            do {
                settings.dictionaries.append(try CompressionDictionary(decoding: bytes))
            } catch {
                throw Invalid(key: "dictionaries", problem: "\(path): \(error)")
            }
        }
        return settings
    }

    /// The settings key behind a `ServerConfiguration.Invalid` key.
    public static func settingsKey(forConfigurationKey key: String) -> String {
        let map = [
            "maxSubscriptionsPerConnection": "maxSubscriptions", "drain.retryAfter": "drainRetryAfterMs", "drain.jitter": "drainJitterMs",
            "drain.deadline": "drainDeadlineMs", "sessionSnapshotPath": "sessionSnapshot", "handshakeTimeout": "handshakeTimeoutMs",
            "heartbeatInterval": "heartbeatMs", "timerResolution": "timerResolutionMs", "resumeWindow": "resumeWindowSeconds", "replayLimits": "replayMessages",
            "rateLimits": "messagesPerSecond", "addressLimits": "connectionsPerSecond", "history": "historyMessages",
            "eventLoopThreads": "threads", "receiveWindow.minBytes": "maxMessageBytes", "receiveWindow": "maxMessageBytes",
            "admin.port": "adminPort", "admin.host": "adminHost",
            "tls.certificateChainPath": "tlsCert", "tls.privateKeyPath": "tlsKey", "tls": "tlsCert",
            "compression.dictionaries": "dictionaries", "compression.deltaKeysPerTopic": "deltaKeysPerTopic",
        ]
        return map[key] ?? key
    }
}
