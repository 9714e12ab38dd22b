@testable import CourierClient
import CourierWire
import NIOCore
import NIOPosix
import Testing

@Suite("Client errors")
struct ErrorTests {
    @Test func descriptionsSayWhatHappened() {
        let auth = CourierClientError.authenticationFailed(code: .badProof, message: "proof does not verify")
        #expect(auth.description == "authentication failed: the server answered error 202 (bad proof): proof does not verify")
        #expect(auth.errorCode == .badProof)
        #expect(CourierClientError.connectionRefused("localhost:1").description == "connection refused: localhost:1")
        #expect(CourierClientError.upgradeRejected(status: 400, reason: "supported: courier.v2").description
            == "the server refused the WebSocket upgrade with HTTP 400: supported: courier.v2")
        #expect(CourierClientError.connectionClosed(code: .sessionReplaced, reason: "resumed elsewhere").description
            == "the connection closed with close code 4006 (session replaced): resumed elsewhere")
        #expect(CourierClientError.connectionClosed(code: .sessionReplaced, reason: "").closeCode == .sessionReplaced)
        #expect(CourierClientError.messageTooLarge(size: 10, limit: 5).description == "a payload of 10 bytes exceeds the limit of 5 bytes")
        #expect(CourierClientError.resumeFailed(.expired).description.contains("expired"))
        #expect(CourierClientError.authenticationMethodNotOffered("JWT", offered: .hmac).description
            == "authentication failed: the server does not accept JWT (it offers HMAC)")
        #expect(CourierClientError.timeout("TCP connect").description == "timed out: TCP connect")
    }

    @Test func errorsCompareByCaseAndDetail() {
        #expect(CourierClientError.closed == .closed)
        #expect(CourierClientError.closed != .gaveUp)
        #expect(CourierClientError.requestRejected(code: .subscribeDenied, message: "no") != .requestRejected(code: .subscribeDenied, message: "yes"))
    }

    @Test func firstConnectFailuresAreNamedFromWhatTheServerSaid() {
        let attempt = ClientCore.Attempt(id: 1)
        var end = ConnectionEnd(closeCode: .authenticationFailed, reason: "authentication failed")
        #expect(ClientCore.handshakeFailure(attempt, end) == .authenticationFailed(code: .authenticationFailed, message: "authentication failed"))
        end.handshakeError = ErrorMessage(code: .tokenExpired, message: "exp is in the past")
        #expect(ClientCore.handshakeFailure(attempt, end) == .authenticationFailed(code: .tokenExpired, message: "exp is in the past"))
        let version = ConnectionEnd(closeCode: .unsupportedVersion, reason: "no common protocol version")
        #expect(ClientCore.handshakeFailure(attempt, version) == .unsupportedVersion("no common protocol version"))
        let lost = ConnectionEnd(reason: "the connection was lost")
        #expect(ClientCore.handshakeFailure(attempt, lost) == .connectionClosed(code: nil, reason: "the connection was lost"))
        attempt.failure = .upgradeRejected(status: 426, reason: "Upgrade Required")
        #expect(ClientCore.handshakeFailure(attempt, lost) == .upgradeRejected(status: 426, reason: "Upgrade Required"))
    }

    @Test func reconnectingStopsOnFailuresThatWillNotGoAway() {
        #expect(CourierClientError.unsupportedVersion("x").forbidsReconnect)
        #expect(CourierClientError.upgradeRejected(status: 400, reason: "").forbidsReconnect)
        #expect(!CourierClientError.upgradeRejected(status: 503, reason: "").forbidsReconnect)
        #expect(!CourierClientError.upgradeRejected(status: 429, reason: "").forbidsReconnect)
        #expect(!CourierClientError.connectionRefused("x").forbidsReconnect)
    }

    @Test func connectErrorsAreClassified() {
        let configuration = CourierClient.Configuration(host: "localhost", port: 1, authentication: .jwt(token: "t"))
        #expect(ClientCore.connectFailure(ChannelError.connectTimeout(.seconds(1)), configuration) == .timeout("TCP connect to localhost:1"))
        #expect(ClientCore.connectFailure(IOError(errnoCode: 111, reason: "connect"), configuration) == .connectionRefused("localhost:1")
            || ClientCore.connectFailure(IOError(errnoCode: 61, reason: "connect"), configuration) == .connectionRefused("localhost:1"))
    }
}
