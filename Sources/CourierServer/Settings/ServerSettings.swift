/// The settings of a Courier server as one flat key schema: the keys of `courier serve
/// --config FILE` (JSON), of its environment variables (`COURIER_` + the key in upper
/// snake case) and of its flags (`--` + the key in kebab case); `docs/OPERATIONS.md`
/// lists them all. `ServerSettings.load` reads them through swift-configuration with
/// the precedence file < environment < flags; `serverConfiguration(secret:)` turns them
/// into a `ServerConfiguration`.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Hex, base64 or at least 32 characters. nil: the command generates a development secret.
    public var secret: String?
    public var echoPath: String?
    public var allowedOrigins: [String] = []
    /// `id:secret:user[:publish,…[:subscribe,…]]` each.
    public var hmacKeys: [String] = []
    public var jwtAudience: String?
    public var jwtIssuer: String?
    public var heartbeatMs = 15_000
    /// Tick of each event loop's timer wheel (handshake and heartbeat deadlines).
    public var timerResolutionMs = 20
    public var handshakeTimeoutMs = 10_000
    public var resumeWindowSeconds = 120
    public var maxMessageBytes = 1 << 20
    public var maxSubscriptions = 1_024
    public var replayMessages = 4_096
    public var replayBytes = 8 << 20
    /// `PATTERN=POLICY` each, first match wins.
    public var topicPolicies: [String] = []
    public var defaultPolicy = "dropOldest"
    public var queueBytesPerChannel = 256 * 1_024
    public var queueBytesPerConnection = 1 << 20
    /// 0 turns topic history off.
    public var historyMessages = 100
    public var historyBytes = 256 * 1_024
    public var historySeconds = 300
    public var messagesPerSecond = 20_000
    public var bytesPerSecond = 32 << 20
    public var connectionsPerSecond = 50
    public var connectionBurst = 200
    public var failedHandshakesPerMinute = 30
    public var sharedPayloadBytes = 2_048
    public var drainRetryAfterMs = 1_000
    public var drainJitterMs = 5_000
    public var drainDeadlineMs = 10_000
    public var sessionSnapshot: String?
    /// `wss://`: certificate chain and private key files (PEM); both or neither.
    public var tlsCert: String?
    public var tlsKey: String?
    /// Preset dictionary files (`courier dict train`) offered for compression (§20).
    public var dictionaries: [String] = []
    /// "on" or "off": the compression extension (COMPRESSED pass-through, deltas).
    public var compression = "on"
    public var deltaKeysPerTopic = 10_000
    /// nil: one event loop per core.
    public var threads: Int?
    public var logLevel = "info"
    public var adminHost = "127.0.0.1"
    /// nil: no admin listener; 0: any free port.
    public var adminPort: Int?

    public init() {}

    /// A settings value out of its range, or of the wrong type: the key (with its flag
    /// and environment variable), where the value came from if known, and the problem.
    public struct Invalid: Error, CustomStringConvertible, Sendable, Equatable {
        public let key: String
        public let source: String?
        public let problem: String

        public init(key: String, source: String? = nil, problem: String) {
            self.key = key
            self.source = source
            self.problem = problem
        }

        public var description: String {
            let names = ServerSettings.Key.named(key).map { " (\($0.flag), \($0.environmentName))" } ?? ""
            return "\(key)\(names)\(source.map { ", from \($0)" } ?? ""): \(problem)"
        }
    }
}

extension ServerSettings {
    /// One key of the schema.
    public struct Key: Sendable {
        public enum Kind: Sendable {
            case int(any WritableKeyPath<ServerSettings, Int> & Sendable)
            case optionalInt(any WritableKeyPath<ServerSettings, Int?> & Sendable)
            case string(any WritableKeyPath<ServerSettings, String> & Sendable)
            case optionalString(any WritableKeyPath<ServerSettings, String?> & Sendable)
            case strings(any WritableKeyPath<ServerSettings, [String]> & Sendable)
        }

        /// The key in the file (camel case).
        public let name: String
        public let kind: Kind
        /// Redacted by `--print-config`.
        public let isSecret: Bool
        /// The command-line flag, `--kebab-case` unless the flag is singular for a list.
        public let flag: String

        init(_ name: String, _ kind: Kind, secret: Bool = false, flag: String? = nil) {
            self.name = name
            self.kind = kind
            self.isSecret = secret
            self.flag = flag ?? "--" + Self.words(name).joined(separator: "-")
        }

        /// `COURIER_` and the key in upper snake case (as swift-configuration's
        /// environment provider maps `courier.<key>`).
        public var environmentName: String {
            "COURIER_" + Self.words(name).joined(separator: "_").uppercased()
        }

        static func words(_ camel: String) -> [String] {
            var words: [String] = []
            var current = ""
            var previousLower = false
            for character in camel {
                if character.isUppercase && previousLower {
                    words.append(current)
                    current = ""
                }
                current += character.lowercased()
                previousLower = character.isLowercase || character.isNumber
            }
            words.append(current)
            return words
        }

        static func named(_ name: String) -> Key? { ServerSettings.keys.first { $0.name == name } }
    }

    /// Every key, in the order `--print-config` writes them.
    public static let keys: [Key] = [
        Key("host", .string(\.host)),
        Key("port", .int(\.port)),
        Key("secret", .optionalString(\.secret), secret: true),
        Key("echoPath", .optionalString(\.echoPath)),
        Key("allowedOrigins", .strings(\.allowedOrigins), flag: "--allowed-origin"),
        Key("hmacKeys", .strings(\.hmacKeys), secret: true, flag: "--hmac-key"),
        Key("jwtAudience", .optionalString(\.jwtAudience)),
        Key("jwtIssuer", .optionalString(\.jwtIssuer)),
        Key("heartbeatMs", .int(\.heartbeatMs)),
        Key("timerResolutionMs", .int(\.timerResolutionMs)),
        Key("handshakeTimeoutMs", .int(\.handshakeTimeoutMs)),
        Key("resumeWindowSeconds", .int(\.resumeWindowSeconds)),
        Key("maxMessageBytes", .int(\.maxMessageBytes)),
        Key("maxSubscriptions", .int(\.maxSubscriptions)),
        Key("replayMessages", .int(\.replayMessages)),
        Key("replayBytes", .int(\.replayBytes)),
        Key("topicPolicies", .strings(\.topicPolicies), flag: "--topic-policy"),
        Key("defaultPolicy", .string(\.defaultPolicy)),
        Key("queueBytesPerChannel", .int(\.queueBytesPerChannel)),
        Key("queueBytesPerConnection", .int(\.queueBytesPerConnection)),
        Key("historyMessages", .int(\.historyMessages)),
        Key("historyBytes", .int(\.historyBytes)),
        Key("historySeconds", .int(\.historySeconds)),
        Key("messagesPerSecond", .int(\.messagesPerSecond)),
        Key("bytesPerSecond", .int(\.bytesPerSecond)),
        Key("connectionsPerSecond", .int(\.connectionsPerSecond)),
        Key("connectionBurst", .int(\.connectionBurst)),
        Key("failedHandshakesPerMinute", .int(\.failedHandshakesPerMinute)),
        Key("sharedPayloadBytes", .int(\.sharedPayloadBytes)),
        Key("drainRetryAfterMs", .int(\.drainRetryAfterMs)),
        Key("drainJitterMs", .int(\.drainJitterMs)),
        Key("drainDeadlineMs", .int(\.drainDeadlineMs)),
        Key("sessionSnapshot", .optionalString(\.sessionSnapshot)),
        Key("tlsCert", .optionalString(\.tlsCert)),
        Key("tlsKey", .optionalString(\.tlsKey)),
        Key("dictionaries", .strings(\.dictionaries), flag: "--dictionary"),
        Key("compression", .string(\.compression)),
        Key("deltaKeysPerTopic", .int(\.deltaKeysPerTopic)),
        Key("threads", .optionalInt(\.threads)),
        Key("logLevel", .string(\.logLevel)),
        Key("adminHost", .string(\.adminHost)),
        Key("adminPort", .optionalInt(\.adminPort)),
    ]
}
