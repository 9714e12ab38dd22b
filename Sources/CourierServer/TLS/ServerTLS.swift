/// `wss://`: the server's certificate chain and private key, as PEM files. With this
/// set, every connection starts with a TLS handshake (swift-nio-ssl) before the HTTP
/// upgrade; without it (nil, the default) the pipeline has no TLS handler at all.
public struct ServerTLS: Hashable, Sendable {
    /// PEM file with the server certificate first, then any intermediates.
    public var certificateChainPath: String
    /// PEM file with the private key of the first certificate (unencrypted).
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}
