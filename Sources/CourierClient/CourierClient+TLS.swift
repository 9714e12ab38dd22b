extension CourierClient {
    /// `wss://`: TLS under the WebSocket connection (swift-nio-ssl). The server's
    /// certificate is always verified — chain to a trusted root and name — unless
    /// `verification` is set to `.noVerification`, which logs a warning on every
    /// connection attempt.
    ///
    /// ```swift
    /// // A public server: system trust roots, the name checked against `host`.
    /// .init(host: "courier.example.com", port: 443, authentication: …, tls: .init())
    /// // A server with a private CA (or a self-signed certificate): trust that, still verify.
    /// .init(host: "127.0.0.1", port: 8443, authentication: …, tls: .init(trustRoots: .pemFile("ca.pem")))
    /// ```
    public struct TLS: Hashable, Sendable {
        /// Which certificates a server's chain must lead to.
        public enum TrustRoots: Hashable, Sendable {
            /// The operating system's trust store.
            case system
            /// Only the certificates in this PEM file (a private CA, or a self-signed
            /// server certificate). The system roots are not trusted then.
            case pemFile(String)
            /// Only these PEM-encoded certificates (one or more, concatenated).
            case pemBytes([UInt8])
        }

        /// How much of the server's certificate is checked.
        public enum Verification: Hashable, Sendable {
            /// The chain leads to a trusted root, is valid now, and names the server
            /// (`serverName`, or the IP address connected to). The default.
            case full
            /// INSECURE: any certificate is accepted, so anyone on the path can read and
            /// change the traffic. For local experiments only; every connection attempt
            /// logs a warning.
            case noVerification
        }

        public var trustRoots: TrustRoots
        public var verification: Verification
        /// The name sent in SNI and checked against the certificate. Nil: the
        /// configuration's `host`; when that is an IP address, no SNI is sent and the
        /// certificate must list the address (an IP subject alternative name). As in
        /// swift-nio-ssl, a certificate that lists the IP address connected to is
        /// accepted too, whatever the name.
        public var serverName: String?

        public init(trustRoots: TrustRoots = .system, verification: Verification = .full, serverName: String? = nil) {
            self.trustRoots = trustRoots
            self.verification = verification
            self.serverName = serverName
        }
    }
}
