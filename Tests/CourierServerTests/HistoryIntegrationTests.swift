import CourierClient
import CourierServer
import CourierWire
import NIOCore
import Testing

/// Topic history: a subscriber that comes back with the last offset it saw gets what it
/// missed, exactly once and in order, then live messages; out of the window it is told.
@Suite("Topic history and recovery", .serialized)
struct HistoryIntegrationTests {
    func client(_ server: TestServer, user: String) async throws -> CourierClient {
        let token = try await server.token(user: user)
        let client = CourierClient(configuration: .init(host: "127.0.0.1", port: server.port, authentication: .jwt(token: token)), eventLoopGroup: server.group)
        try await client.connect()
        return client
    }

    func next(_ count: Int, from client: CourierClient) async throws -> [(String, UInt64?)] {
        var result: [(String, UInt64?)] = []
        for try await message in client.messages {
            result.append((String(buffer: message.payload), message.offset))
            if result.count == count { break }
        }
        return result
    }

    @Test func aReturningSubscriberRecoversWhatItMissedThenGoesLive() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let publisher = try await client(server, user: "pub")
        for n in 1...5 { try await publisher.sendAcknowledged("m\(n)", to: .topic("news.a")) }

        let first = try await client(server, user: "reader")
        let subscription = try await first.subscribe("news.a")
        #expect(subscription.recovery == .notRequested)
        #expect(subscription.offset == 6, "live messages start after the 5 already published")
        for n in 6...8 { try await publisher.sendAcknowledged("m\(n)", to: .topic("news.a")) }
        let seen = try await next(3, from: first)
        #expect(seen.map(\.0) == ["m6", "m7", "m8"])
        #expect(seen.map(\.1) == [6, 7, 8])
        await first.close()

        for n in 9...12 { try await publisher.sendAcknowledged("m\(n)", to: .topic("news.a")) }
        let back = try await client(server, user: "reader")
        let resumed = try await back.subscribe("news.a", from: HistoryPosition(epoch: subscription.epoch, offset: 9))
        #expect(resumed.recovery == .recovered)
        #expect(resumed.epoch == subscription.epoch)
        try await publisher.sendAcknowledged("m13", to: .topic("news.a"))
        let caughtUp = try await next(5, from: back)
        #expect(caughtUp.map(\.0) == ["m9", "m10", "m11", "m12", "m13"])
        #expect(caughtUp.map(\.1) == [9, 10, 11, 12, 13])
        await back.close()
        await publisher.close()
    }

    @Test func outsideTheWindowOrAnotherEpochRecoveryFailsExplicitly() async throws {
        let server = try await TestServer.start(history: .init(maxMessages: 3))
        defer { Task { await server.stop() } }
        let publisher = try await client(server, user: "pub")
        let reader = try await client(server, user: "reader")
        let live = try await reader.subscribe("news.b")
        for n in 1...10 { try await publisher.sendAcknowledged("m\(n)", to: .topic("news.b")) }
        _ = try await next(10, from: reader)

        let late = try await client(server, user: "late")
        let tooOld = try await late.subscribe("news.b", from: HistoryPosition(epoch: live.epoch, offset: 2))
        #expect(tooOld.recovery == .failed, "only offsets 8–10 are kept")
        let otherEpoch = try await late.subscribe("news.c", from: HistoryPosition(epoch: 12_345, offset: 1))
        #expect(otherEpoch.recovery == .failed)
        // The failed recovery is still a live subscription.
        try await publisher.sendAcknowledged("m11", to: .topic("news.b"))
        let after = try await next(1, from: late)
        #expect(after.map(\.0) == ["m11"])
        #expect(after.map(\.1) == [11])
        await late.close()
        await reader.close()
        await publisher.close()
    }
}
