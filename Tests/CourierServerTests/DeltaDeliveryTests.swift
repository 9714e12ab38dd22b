import CourierClient
import CourierCompression
import CourierServer
import CourierSession
import CourierWire
import NIOCore
import Testing

/// Deltas where delivery gets hard (PROTOCOL §20.3): a `keepLatest` queue that replaces
/// values before they go, and a connection cut in the middle of a stream of reliable
/// values. In both, every DELTA a subscriber gets applies to what it holds, and it ends
/// with the newest value of every key.
@Suite("Deltas with keepLatest and resume", .serialized)
struct DeltaDeliveryTests {
    static let keys = ["A", "B", "C"]
    static func value(_ key: String, _ round: Int) -> String {
        #"{"symbol":"\#(key)","bid":\#(100 + round).25,"ask":\#(101 + round).50,"seq":\#(round)}"#
    }

    /// Plays a subscriber's DeltaUpdates forward like a client: every delta must find
    /// its base, apply and match its checksum. Returns the final values and how many deltas.
    static func replay(_ messages: [CourierMessage]) throws -> (values: [String: String], deltas: Int) {
        var held: [String: (version: UInt32, value: ByteBuffer)] = [:]
        var deltas = 0
        for message in messages {
            guard case .deltaUpdate(let update) = message.body else { continue }
            var value = update.payload
            if message.header.flags.contains(.delta) {
                let base = try #require(held[update.key], "a delta for \(update.key) without a base")
                try #require(base.version + 1 == update.version, "delta \(update.version) on base \(base.version)")
                value = try DeltaPayload.apply(update.payload, to: base.value, maxOutput: 1 << 16)
                deltas += 1
            }
            #expect(CRC32.checksum(value) == update.checksum)
            held[update.key] = (update.version, value)
        }
        return (held.mapValues { String(buffer: $0.value) }, deltas)
    }

    @Test func keepLatestReplacesQueuedValuesAndTheNextOneGoesWhole() async throws {
        let rules = [try TopicPolicies.parseRule("ticks.>=keepLatest")]
        let server = try await TestServer.start(history: nil, topicPolicies: TopicPolicies(rules: rules))
        let subscriber = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await subscriber.authenticateHMAC(extensions: CompressionIntegrationTests.offer([]))
        try await subscriber.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "ticks.q")))])
        _ = try await subscriber.read { $0.messages.contains { $0.type == .subscribeResult } }
        // Credit for the first round only: the rest waits in the keepLatest queue.
        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 3, bytes: 1 << 20)))])
        let publisher = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await publisher.authenticateHMAC()
        func publish(rounds: Range<Int>) async throws {
            var batch: [CourierMessage] = []
            for round in rounds {
                for key in Self.keys {
                    batch.append(CourierMessage(body: .deltaUpdate(DeltaUpdate(route: .topic("ticks.q"), key: key, version: 0, checksum: 0, payload: ByteBuffer(string: Self.value(key, round))))))
                }
            }
            try await publisher.send(batch)
        }
        try await publish(rounds: 0..<20)
        var transcript = try await subscriber.read { CompressionIntegrationTests.data($0).count >= 3 }
        // Let the rest queue (and be replaced), then grant: one value per key, the newest.
        try await Task.sleep(for: .milliseconds(100))
        try await subscriber.send([CourierMessage(body: .windowUpdate(WindowUpdate(messages: 1_000, bytes: 1 << 20)))])
        let afterGrant = try await subscriber.read { CompressionIntegrationTests.data($0).count >= 3 }
        transcript.messages += afterGrant.messages
        // Now the subscriber keeps up: these go as deltas.
        try await publish(rounds: 20..<25)
        let live = try await subscriber.read { CompressionIntegrationTests.data($0).count >= 15 }
        transcript.messages += live.messages
        defer { Task { await CompressionIntegrationTests.cleanUp(server, sockets: [subscriber, publisher]) } }

        let data = CompressionIntegrationTests.data(transcript)
        #expect(data.count == 3 + 3 + 15, "one round, then one value per key, then five live rounds")
        let (values, deltas) = try Self.replay(data)
        #expect(values == Dictionary(uniqueKeysWithValues: Self.keys.map { ($0, Self.value($0, 24)) }))
        #expect(deltas == 15, "live values after the backlog go as deltas")
        #expect(data[3..<6].allSatisfy { !$0.header.flags.contains(.delta) }, "values after replaced ones go whole")
    }

    @Test func aSubscriberCutOffMidStreamEndsWithEveryValueInOrder() async throws {
        let server = try await TestServer.start()
        let proxy = try await TestProxy.start(targetPort: server.port)
        func client(_ user: String, port: Int) async throws -> CourierClient {
            let configuration = CourierClient.Configuration(
                host: "127.0.0.1", port: port, authentication: .jwt(token: try await server.token(user: user)),
                reconnect: ReconnectBackoff.Policy(base: .milliseconds(20), cap: .milliseconds(200), maxAttempts: 0, stablePeriod: .seconds(10))
            )
            let client = CourierClient(configuration: configuration, eventLoopGroup: server.group)
            try await client.connect()
            return client
        }
        let subscriber = try await client("sub", port: proxy.port)
        let publisher = try await client("pub", port: server.port)
        defer { Task { await CompressionIntegrationTests.cleanUp(server, clients: [subscriber, publisher]); await proxy.stop() } }
        let resumes = Task {
            var count = 0
            for await event in subscriber.events {
                if case .connected(_, resumed: true) = event { count += 1 }
                if case .closed = event { break }
            }
            return count
        }
        // A topic with history: its deliveries are reliable, so a cut loses nothing.
        _ = try await subscriber.subscribe("ticks.r")
        let rounds = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 0..<rounds {
                    for key in Self.keys { try await publisher.publishValue(Self.value(key, round), key: key, to: .topic("ticks.r")) }
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            group.addTask {
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(15))
                    await proxy.sever()
                }
            }
            try await group.waitForAll()
        }
        var received: [String] = []
        for try await message in subscriber.messages {
            received.append(String(buffer: message.payload))
            if received.count == rounds * Self.keys.count { break }
        }
        #expect(received == (0..<rounds).flatMap { round in Self.keys.map { Self.value($0, round) } })
        #expect(await subscriber.snapshotsRequested() == 0, "the replayed deltas applied to what the client held")
        await subscriber.close()
        #expect(await resumes.value >= 1, "the stream was cut and resumed")
    }
}
