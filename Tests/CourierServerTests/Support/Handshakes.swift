import CourierAuth
import CourierWire
import Crypto
import NIOCore
import NIOPosix

/// Handshakes done by hand, so tests can send exactly the proof they want.
extension RawWebSocket {
    /// Waits for the Challenge and returns its nonce.
    func challengeNonce(version: ProtocolVersion = .v2) async throws -> [UInt8] {
        let transcript = try await read(version: version) { !$0.messages.isEmpty }
        guard case .challenge(let challenge)? = transcript.messages.first?.body else {
            throw TestFailure("expected a Challenge first, got \(transcript.messages.map(\.type))")
        }
        return Array(challenge.nonce.readableBytesView)
    }

    /// Sends `handshake` and reads until the server answers with a HandshakeResponse or closes.
    func handshake(_ auth: Handshake.Auth, resume: Handshake.Resume? = nil, version: ProtocolVersion = .v2, extensions: [HandshakeExtension] = []) async throws -> Transcript {
        let message = CourierMessage(body: .handshake(Handshake(minVersion: version.rawValue, maxVersion: version.rawValue, auth: auth, resume: resume, extensions: extensions)))
        try await send([message], version: version)
        return try await read(version: version) { transcript in
            transcript.messages.contains { $0.type == .handshakeResponse }
        }
    }

    /// Challenge + HMAC proof with the test key.
    func authenticateHMAC(version: ProtocolVersion = .v2, extensions: [HandshakeExtension] = []) async throws -> HandshakeResponse {
        let nonce = try await challengeNonce(version: version)
        let mac = HMACProof.compute(key: SymmetricKey(data: TestServer.hmacSecret), nonce: nonce, keyID: TestServer.hmacKeyID)
        let transcript = try await handshake(.hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(bytes: mac)), version: version, extensions: extensions)
        guard case .handshakeResponse(let response)? = transcript.messages.last?.body else {
            throw TestFailure("no HandshakeResponse: \(transcript.messages)")
        }
        return response
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Transcript {
    var errorCodes: [ErrorCode] {
        messages.compactMap { if case .error(let e) = $0.body { return e.code } else { return nil } }
    }

    var closeMessage: Close? {
        messages.lazy.compactMap { if case .close(let c) = $0.body { return c } else { return nil } }.first
    }
}

/// One HTTP request over a plain TCP connection; returns the whole response text.
func rawHTTP(port: Int, _ request: String, group: any EventLoopGroup) async throws -> String {
    String(decoding: try await rawExchange(port: port, ByteBuffer(string: request), group: group), as: UTF8.self)
}

/// Writes `bytes` over a plain TCP connection; returns every byte received until the
/// server closed it.
func rawExchange(port: Int, _ bytes: ByteBuffer, group: any EventLoopGroup) async throws -> [UInt8] {
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received: [UInt8] = []
        let done: EventLoopPromise<[UInt8]>
        init(done: EventLoopPromise<[UInt8]>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += unwrapInboundIn(data).readableBytesView
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(received) }
    }
    let promise = group.next().makePromise(of: [UInt8].self)
    let channel: any Channel
    do {
        channel = try await ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: promise)) }
        }.connect(host: "127.0.0.1", port: port).get()
    } catch {
        promise.fail(error)  // no promise leaks when the connection is refused
        throw error
    }
    try await channel.writeAndFlush(bytes).get()
    return try await promise.futureResult.get()
}
