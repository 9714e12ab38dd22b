import ArgumentParser
import CourierAuth
import Foundation

/// `courier token`: mint an HS256 development token.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development JWT (HS256) for a Courier server's secret."
    )

    @Option(help: "The server secret (default: $COURIER_SECRET).") var secret: String?
    @Option(help: "User id (the `sub` claim).") var sub: String
    @Option(help: "Topic pattern the user may publish to (repeatable).") var publish: [String] = []
    @Option(help: "Topic pattern the user may subscribe to (repeatable).") var subscribe: [String] = []
    @Option(help: "Lifetime in seconds.") var ttl = 3_600
    @Option(help: "Audience (`aud`).") var audience: String?
    @Option(help: "Issuer (`iss`).") var issuer: String?

    func run() async throws {
        guard let text = secret ?? ProcessInfo.processInfo.environment["COURIER_SECRET"] else {
            throw ValidationError("give --secret or set COURIER_SECRET")
        }
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        let bytes: [UInt8]
        do { bytes = try DevelopmentToken.readSecret(text) } catch { throw ValidationError("\(error)") }
        let token = try await DevelopmentToken.mint(
            secret: bytes, subject: sub, publish: publish, subscribe: subscribe, audience: audience, issuer: issuer,
            lifetime: .seconds(ttl), now: Date()
        )
        print(token)
    }
}
