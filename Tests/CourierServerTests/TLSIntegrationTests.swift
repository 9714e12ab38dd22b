import CourierClient
import CourierServer
import CourierSession
import CourierWire
import Foundation
import NIOCore
import Testing

/// `wss://` with certificates made by openssl at test time: a client that trusts the
/// test CA works end to end; one that does not, or that speaks plain `ws://`, is
/// refused promptly and clearly; the server goes on serving the others.
@Suite("TLS (wss://)", .serialized, .enabled(if: TestCertificates.enabled, TestCertificates.skipReason))
struct TLSIntegrationTests {
    static let noReconnect = ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 1, stablePeriod: .seconds(10))

    func configuration(
        _ server: TestServer, host: String = "127.0.0.1", user: String = "alice", tls: CourierClient.TLS?
    ) async throws -> CourierClient.Configuration {
        let token = try await server.token(user: user)
        return .init(
            host: host, port: server.port, authentication: .jwt(token: token), reconnect: Self.noReconnect,
            handshakeTimeout: .seconds(5), tls: tls
        )
    }

    /// Runs `body` and fails if it takes longer than `limit` (a refused client must not hang).
    func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TestFailure("no answer within \(limit)")
            }
            let result = try await group.next()!
            group.cancelAll()
            return result
        }
    }

    /// A subscriber and a publisher, both trusting the CA: one message goes through.
    func exchange(_ server: TestServer, certificates: TestCertificates, host: String = "127.0.0.1", topic: String) async throws {
        let trust = CourierClient.TLS(trustRoots: .pemFile(certificates.caPath))
        let subscriber = CourierClient(configuration: try await configuration(server, host: host, user: "sub", tls: trust), eventLoopGroup: server.group)
        let publisher = CourierClient(configuration: try await configuration(server, host: host, user: "pub", tls: trust), eventLoopGroup: server.group)
        try await subscriber.connect()
        try await publisher.connect()
        _ = try await subscriber.subscribe(topic)
        try await publisher.sendAcknowledged("over tls", to: .topic(topic))
        let received = try await within(.seconds(10)) {
            for try await message in subscriber.messages { return message.text }
            return nil
        }
        #expect(received == "over tls")
        await publisher.close()
        await subscriber.close()
    }

    @Test func aClientThatTrustsTheTestCAAuthenticatesPublishesAndReceives() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await TestServer.start(tls: ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: certificates.serverKeyPath))
        defer { Task { await server.stop() } }
        // By IP address (the certificate's IP SAN) and by name (SNI and the DNS SAN).
        try await exchange(server, certificates: certificates, host: "127.0.0.1", topic: "tls.by-ip")
        try await exchange(server, certificates: certificates, host: "localhost", topic: "tls.by-name")
    }

    @Test func aClientWithSystemTrustIsRefusedWithACertificateErrorAndOthersGoOn() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await TestServer.start(tls: ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: certificates.serverKeyPath))
        defer { Task { await server.stop() } }
        let untrusting = CourierClient(configuration: try await configuration(server, tls: .init()), eventLoopGroup: server.group)
        let error = try await within(.seconds(10)) { () -> CourierClientError? in
            do {
                try await untrusting.connect()
                return nil
            } catch {
                return error as? CourierClientError ?? .connectionFailed("\(error)")
            }
        }
        let failure = try #require(error, "a client that does not trust the certificate must not connect")
        #expect(failure.isTLSFailure, "\(failure)")
        #expect(failure.description.contains("certificate"), "\(failure)")
        await untrusting.close()
        try await waitUntil { server.server.connectionCount == 0 }
        try await exchange(server, certificates: certificates, topic: "tls.after-refusal")
    }

    @Test func aCertificateThatDoesNotNameTheServerIsRefusedAndServerNameSelectsTheName() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        // A certificate for other.example only (no IP address), from the trusted CA.
        let server = try await TestServer.start(tls: ServerTLS(certificateChainPath: certificates.otherNameChainPath, privateKeyPath: certificates.serverKeyPath))
        defer { Task { await server.stop() } }
        let trust = CourierClient.TLS(trustRoots: .pemFile(certificates.caPath))
        for host in ["127.0.0.1", "localhost"] {
            let client = CourierClient(configuration: try await configuration(server, host: host, tls: trust), eventLoopGroup: server.group)
            let error = try await within(.seconds(10)) { () -> CourierClientError? in
                do { try await client.connect(); return nil } catch { return error as? CourierClientError ?? .connectionFailed("\(error)") }
            }
            let failure = try #require(error, "\(host) is not named by the certificate")
            #expect(failure.isTLSFailure, "\(failure)")
            #expect(failure.description.contains("does not name this server"), "\(failure)")
            await client.close()
        }
        // The name to verify (and send in SNI) can differ from the address dialled.
        var named = trust
        named.serverName = "other.example"
        let client = CourierClient(configuration: try await configuration(server, tls: named), eventLoopGroup: server.group)
        try await client.connect()
        try await client.sendAcknowledged("verified as other.example", to: .topic("tls.named"))
        await client.close()
    }

    @Test func aPlainWebSocketClientAgainstTheTLSPortFailsCleanly() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await TestServer.start(tls: ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: certificates.serverKeyPath))
        defer { Task { await server.stop() } }
        let plain = CourierClient(configuration: try await configuration(server, tls: nil), eventLoopGroup: server.group)
        let error = try await within(.seconds(10)) { () -> CourierClientError? in
            do { try await plain.connect(); return nil } catch { return error as? CourierClientError ?? .connectionFailed("\(error)") }
        }
        #expect(error != nil, "plain ws:// must not reach Active on a wss:// port")
        await plain.close()
        try await waitUntil { server.server.connectionCount == 0 }
        try await exchange(server, certificates: certificates, topic: "tls.after-plain")
    }

    @Test func aTLSClientAgainstAPlainServerFailsCleanly() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = CourierClient(configuration: try await configuration(server, tls: .init()), eventLoopGroup: server.group)
        let error = try await within(.seconds(10)) { () -> CourierClientError? in
            do { try await client.connect(); return nil } catch { return error as? CourierClientError ?? .connectionFailed("\(error)") }
        }
        let failure = try #require(error)
        #expect(failure.isTLSFailure, "\(failure)")
        await client.close()
    }

    @Test func noVerificationIsOptInAndStillEncrypts() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await TestServer.start(tls: ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: certificates.serverKeyPath))
        defer { Task { await server.stop() } }
        #expect(CourierClient.TLS().verification == .full, "verification is on by default")
        let client = CourierClient(configuration: try await configuration(server, tls: .init(verification: .noVerification)), eventLoopGroup: server.group)
        try await client.connect()
        try await client.sendAcknowledged("unverified but encrypted", to: .topic("tls.insecure"))
        await client.close()
    }

    @Test func unusableFilesAreNamedWhenTheServerIsCreated() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let garbage = certificates.directory.appendingPathComponent("garbage.pem").path
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let missing = certificates.directory.appendingPathComponent("missing.pem").path

        func failure(_ tls: ServerTLS) async -> ServerConfiguration.Invalid? {
            do {
                _ = try await TestServer.start(tls: tls)
                return nil
            } catch {
                return error as? ServerConfiguration.Invalid
            }
        }
        let noChain = await failure(ServerTLS(certificateChainPath: missing, privateKeyPath: certificates.serverKeyPath))
        #expect(noChain?.key == "tls.certificateChainPath")
        #expect(noChain?.description.contains("missing.pem") == true && noChain?.description.contains("does not exist") == true, "\(String(describing: noChain))")

        let noKey = await failure(ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: missing))
        #expect(noKey?.key == "tls.privateKeyPath", "\(String(describing: noKey))")

        let badChain = await failure(ServerTLS(certificateChainPath: garbage, privateKeyPath: certificates.serverKeyPath))
        #expect(badChain?.key == "tls.certificateChainPath")
        #expect(badChain?.description.contains("garbage.pem") == true, "\(String(describing: badChain))")

        let badKey = await failure(ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: garbage))
        #expect(badKey?.key == "tls.privateKeyPath")
        #expect(badKey?.description.contains("not a PEM private key") == true, "\(String(describing: badKey))")

        let mismatch = await failure(ServerTLS(certificateChainPath: certificates.serverChainPath, privateKeyPath: certificates.otherKeyPath))
        #expect(mismatch?.key == "tls.privateKeyPath")
        #expect(mismatch?.description.contains("does not match") == true, "\(String(describing: mismatch))")
    }

    @Test func aClientWithAnUnreadableTrustFileFailsToConnectWithoutTrying() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let client = CourierClient(configuration: try await configuration(server, tls: .init(trustRoots: .pemFile("/nonexistent/ca.pem"))), eventLoopGroup: server.group)
        await #expect(throws: CourierClientError.self) { try await client.connect() }
        await client.close()
    }
}
