import CourierSession
import CourierWire

extension CourierClient {
    /// How a client proves its identity in the Handshake (`docs/PROTOCOL.md` §11).
    public enum Authentication: Hashable, Sendable {
        /// HMAC-SHA256 over the server's challenge with a pre-shared key (§11.1).
        case hmac(keyID: String, secret: [UInt8])
        /// A compact JWS, sent as it is (§11.2).
        case jwt(token: String)

        var method: Challenge.AuthMethods {
            switch self {
            case .hmac: return .hmac
            case .jwt: return .jwt
            }
        }

        var methodName: String {
            switch self {
            case .hmac: return "HMAC"
            case .jwt: return "JWT"
            }
        }
    }

    /// Where to connect and how the client behaves. Every limit has a bounded default.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The request target of the WebSocket upgrade.
        public var path: String
        /// Protocol versions offered in `Sec-WebSocket-Protocol`, most preferred first (§1.1).
        public var protocolVersions: [ProtocolVersion]
        public var authentication: Authentication
        /// Delays between reconnect attempts (§14).
        public var reconnect: ReconnectBackoff.Policy
        /// Bounds the TCP connect, the WebSocket upgrade, and the wait for the Challenge
        /// and for the HandshakeResponse (each).
        public var handshakeTimeout: Duration
        /// Bounds of the replay buffer; `send` waits while it is full (§12).
        public var replayLimits: OutboundReliability.Limits
        /// The largest message body accepted or sent. WebSocket frames may be up to
        /// 64 KiB larger (a batch of messages plus framing).
        public var maxMessageBytes: Int
        /// Most Courier messages per WebSocket message, in both directions (§1).
        public var maxMessagesPerFrame: Int
        /// The `Origin` header of the upgrade request, if any.
        public var origin: String?
        /// Incoming messages buffered for the consumer of `messages` before the client
        /// stops reading from the socket (TCP backpressure).
        public var incomingBufferLimit: Int
        /// Server → client credit flow control (`docs/PROTOCOL.md` §16.3): after each
        /// handshake the client grants the server a window of these bounds and returns
        /// credit as the consumer takes messages from `messages`, so a consumer that
        /// does not read stops the server from sending. The byte window is raised to
        /// the largest message that can arrive when it is smaller. Nil leaves flow
        /// control off: the server sends without credit, bounded by its queues.
        /// (Client → server credit is always honoured.)
        public var flowControl: ReceiveWindow.Limits?
        /// The local IP address to connect from (a multi-homed host, or a load
        /// generator spreading connections over 127.0.0.x); nil: the system chooses.
        public var localAddress: String?
        /// `wss://` when set (the server's certificate is verified; see `TLS`); nil:
        /// plain `ws://`.
        public var tls: TLS?
        /// Compression and deltas offered to the server (§20); nil: none (every payload
        /// plain, every DeltaUpdate a full value).
        public var compression: Compression?

        public init(
            host: String,
            port: Int,
            path: String = "/",
            protocolVersions: [ProtocolVersion] = [.v2, .v1],
            authentication: Authentication,
            reconnect: ReconnectBackoff.Policy = .init(),
            handshakeTimeout: Duration = .seconds(10),
            replayLimits: OutboundReliability.Limits = .init(),
            maxMessageBytes: Int = 1 << 20,
            maxMessagesPerFrame: Int = 1_024,
            origin: String? = nil,
            incomingBufferLimit: Int = 1_024,
            flowControl: ReceiveWindow.Limits? = ReceiveWindow.Limits(),
            tls: TLS? = nil
        ) {
            precondition(!protocolVersions.isEmpty, "offer at least one protocol version")
            precondition(maxMessageBytes > 0 && maxMessageBytes <= Int(UInt32.max) - Self.frameHeadroom, "maxMessageBytes out of range")
            precondition(maxMessagesPerFrame > 0, "maxMessagesPerFrame must be positive")
            precondition(incomingBufferLimit > 1, "incomingBufferLimit must be at least 2")
            precondition(handshakeTimeout > .zero, "handshakeTimeout must be positive")
            precondition(flowControl?.isValid ?? true, "flowControl limits need 0 < min ≤ initial ≤ max ≤ UInt32.max")
            self.host = host
            self.port = port
            self.path = path
            self.protocolVersions = protocolVersions
            self.authentication = authentication
            self.reconnect = reconnect
            self.handshakeTimeout = handshakeTimeout
            self.replayLimits = replayLimits
            self.maxMessageBytes = maxMessageBytes
            self.maxMessagesPerFrame = maxMessagesPerFrame
            self.origin = origin
            self.incomingBufferLimit = incomingBufferLimit
            self.flowControl = flowControl
            self.localAddress = nil
            self.tls = tls
            self.compression = Compression()
        }

        /// Room above `maxMessageBytes` for batching and framing in one WebSocket frame.
        public static let frameHeadroom = 64 << 10

        /// The largest WebSocket frame (and reassembled message) accepted.
        public var maxFrameBytes: Int { maxMessageBytes + Self.frameHeadroom }

        var wireLimits: WireLimits {
            WireLimits(maxMessageBytes: maxMessageBytes, maxMessagesPerFrame: maxMessagesPerFrame)
        }

        /// The `Sec-WebSocket-Protocol` value offered.
        var offeredSubprotocols: String {
            protocolVersions.map(\.subprotocol).joined(separator: ", ")
        }

        /// The `Host` header: the host, with the port unless it is the scheme's default
        /// (80 for `ws://`, 443 for `wss://`).
        var hostHeader: String {
            let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            return port == (tls == nil ? 80 : 443) ? name : "\(name):\(port)"
        }
    }
}
