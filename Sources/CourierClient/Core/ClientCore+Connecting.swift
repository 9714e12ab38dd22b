import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Making connections: TCP, the WebSocket upgrade (§1.1), then the Courier handler.
extension ClientCore {
    /// The first connection. Fails if it does not reach Active.
    func connect() -> EventLoopFuture<Void> {
        switch phase {
        case .idle:
            if let tls = configuration.tls, sslContext == nil {
                do {
                    sslContext = try TLSContextFactory.makeContext(tls)
                } catch {
                    return loop.makeFailedFuture(error)
                }
            }
            let promise = loop.makePromise(of: Void.self)
            connectPromise = promise
            startAttempt()
            return promise.futureResult
        case .closing, .closed:
            return loop.makeFailedFuture(CourierClientError.closed)
        case .connecting, .active, .waiting:
            return connectPromise?.futureResult ?? loop.makeSucceededVoidFuture()
        }
    }

    func startAttempt() {
        lastAttemptID += 1
        let attempt = Attempt(id: lastAttemptID)
        phase = .connecting(attempt)
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = attempt.id
        attempt.upgradeTimer = loop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            self.upgradeTimedOut(attempt)
        }
        logger.debug("connecting", metadata: [
            "attempt": "\(id)", "host": "\(configuration.host)", "port": "\(configuration.port)", "tls": "\(configuration.tls != nil)",
        ])
        if configuration.tls?.verification == .noVerification {
            logger.warning("TLS certificate verification is OFF (TLS.Verification.noVerification): anyone on the path can read and change this connection", metadata: [
                "host": "\(configuration.host)", "port": "\(configuration.port)",
            ])
        }
        var bootstrap = ClientBootstrap(group: loop)
        if let local = configuration.localAddress {
            do {
                bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: local, port: 0))
            } catch {
                logger.error("the local address is not an IP address: connecting from any", metadata: ["localAddress": "\(local)"])
            }
        }
        bootstrap
            .connectTimeout(TimeAmount(configuration.handshakeTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try this.value.initializePipeline(channel, attemptID: id) }
            }
            .connect(host: configuration.host, port: configuration.port)
            .assumeIsolated()
            .whenComplete { result in self.connectCompleted(attempt, result) }
    }

    private func initializePipeline(_ channel: any Channel, attemptID: Int) throws {
        guard let attempt = currentAttempt, attempt.id == attemptID else {
            throw CourierClientError.closed
        }
        let this = NIOLoopBound(self, eventLoop: loop)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: configuration.maxFrameBytes, automaticErrorHandling: true) { channel, response in
            channel.eventLoop.makeCompletedFuture { try this.value.upgraded(channel, response: response, attemptID: attemptID) }
        }
        let pipeline = channel.pipeline.syncOperations
        if let tls = configuration.tls, let sslContext {
            // wss://: TLS under the HTTP upgrade and everything after it.
            let serverHostname = TLSContextFactory.serverHostname(tls, host: configuration.host)
            try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
        }
        try pipeline.addHTTPClientHandlers(
            leftOverBytesStrategy: .forwardBytes,
            withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
        )
        let requestHandler = UpgradeRequestHandler(
            request: UpgradeRequestHandler.makeRequest(configuration),
            onFailure: { error in self.recordFailure(error, attemptID: attemptID) },
            onInactive: { self.attemptEnded(attemptID, ConnectionEnd(reason: "the connection closed before the WebSocket upgrade")) }
        )
        try pipeline.addHandler(requestHandler)
        attempt.requestHandler = requestHandler
    }

    /// The server answered 101: pick the version it selected and install the Courier
    /// handler in place of the HTTP request handler.
    private func upgraded(_ channel: any Channel, response: HTTPResponseHead, attemptID: Int) throws {
        guard let attempt = currentAttempt, attempt.id == attemptID, !isClosed else {
            channel.close(promise: nil)
            return
        }
        // From here on the pipeline carries WebSocket frames, not HTTP.
        let pipeline = channel.pipeline.syncOperations
        if let requestHandler = attempt.requestHandler {
            pipeline.removeHandler(requestHandler, promise: nil)
            attempt.requestHandler = nil
        }
        let selected = response.headers["Sec-WebSocket-Protocol"]
        guard selected.count == 1, let version = ProtocolVersion(subprotocol: trimmed(selected[0])),
              configuration.protocolVersions.contains(version) else {
            let named = selected.isEmpty ? "none" : selected.joined(separator: ", ")
            recordFailure(.unsupportedVersion("offered \(configuration.offeredSubprotocols), the server selected \(named)"), attemptID: attemptID)
            channel.closeFuture.assumeIsolated().whenComplete { _ in
                self.attemptEnded(attemptID, ConnectionEnd(reason: "no common protocol version"))
            }
            channel.close(promise: nil)
            return
        }
        try pipeline.addHandler(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 4_096, maxAccumulatedFrameSize: configuration.maxFrameBytes
        ))
        let settings = CourierConnectionHandler.Settings(
            version: version, authentication: configuration.authentication, handshakeTimeout: configuration.handshakeTimeout,
            replayLimits: configuration.replayLimits, wireLimits: configuration.wireLimits,
            flowControl: configuration.flowControl, extensions: compressionExtensions
        )
        let session = carriedSession
        carriedSession = nil
        let handler = CourierConnectionHandler(
            id: attemptID, settings: settings, resuming: session, ticket: ticket, now: channel.eventLoop.now,
            readingPaused: readingPaused, delegate: self, logger: logger
        )
        try pipeline.addHandler(handler)
        attempt.handler = handler
        attempt.upgradeTimer?.cancel()
        attempt.upgradeTimer = nil
        logger.debug("upgraded", metadata: ["attempt": "\(attemptID)", "version": "\(version)"])
    }

    private func connectCompleted(_ attempt: Attempt, _ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            guard currentAttempt === attempt else {
                channel.close(promise: nil)
                return
            }
            attempt.channel = channel
            if case .closing = phase { channel.close(promise: nil) }
        case .failure(let error):
            guard currentAttempt === attempt else { return }
            recordFailure(Self.connectFailure(error, configuration), attemptID: attempt.id)
            attemptEnded(attempt.id, ConnectionEnd(reason: "\(error)"))
        }
    }

    private func upgradeTimedOut(_ attempt: Attempt) {
        attempt.upgradeTimer = nil
        guard currentAttempt === attempt, attempt.handler == nil else { return }
        recordFailure(.timeout("no WebSocket upgrade within \(configuration.handshakeTimeout)"), attemptID: attempt.id)
        attempt.channel?.close(promise: nil)
    }

    func recordFailure(_ error: CourierClientError, attemptID: Int) {
        guard let attempt = currentAttempt, attempt.id == attemptID, attempt.failure == nil else { return }
        attempt.failure = error
    }

    static func connectFailure(_ error: any Error, _ configuration: CourierClient.Configuration) -> CourierClientError {
        let target = "\(configuration.host):\(configuration.port)"
        if let tls = TLSContextFactory.describe(error) { return .tlsConfiguration("\(target): \(tls)") }
        var errors: [any Error] = [error]
        if let error = error as? NIOConnectionError {
            if let dns = error.dnsAError ?? error.dnsAAAAError { return .connectionFailed("\(target): DNS lookup failed (\(dns))") }
            errors = error.connectionErrors.map(\.error)
        }
        for error in errors {
            if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return .connectionRefused(target) }
            if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                return .timeout("TCP connect to \(target)")
            }
        }
        return .connectionFailed("\(target): \(error)")
    }

    /// Why the first connection failed, for `connect()`.
    static func handshakeFailure(_ attempt: Attempt, _ end: ConnectionEnd) -> CourierClientError {
        if let failure = attempt.failure ?? end.failure { return failure }
        if let error = end.handshakeError {
            if error.code.scope == .authentication { return .authenticationFailed(code: error.code, message: error.message) }
            if error.code == .unsupportedVersion { return .unsupportedVersion(error.message) }
        }
        switch end.closeCode {
        case CloseCode.authenticationFailed?: return .authenticationFailed(code: .authenticationFailed, message: end.reason)
        case CloseCode.unsupportedVersion?: return .unsupportedVersion(end.reason)
        case CloseCode.handshakeTimeout?: return .timeout("handshake: \(end.reason)")
        default: return .connectionClosed(code: end.closeCode, reason: end.reason)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) { self = .nanoseconds(duration.nanoseconds) }
}

private func trimmed(_ text: String) -> String {
    var text = Substring(text)
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return String(text)
}
