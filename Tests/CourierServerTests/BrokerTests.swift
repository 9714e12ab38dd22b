import CourierServer
import CourierSession
import CourierWire
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The broker is pluggable (`ServerConfiguration.broker`): every publish goes through
/// it and every delivery comes back through its sink, so a cluster broker (Redis) can
/// carry publications between nodes without the server changing.
@Suite("Pluggable broker")
struct BrokerTests {
    /// Wraps the in-memory broker and records what passes through it, as a cluster
    /// broker would see it.
    final class RecordingBroker: Broker {
        let inner = InMemoryBroker(historyLimits: .init(maxMessages: 10))
        let published = NIOLockedValueBox<[String]>([])
        let historyReads = NIOLockedValueBox(0)

        func setSink(_ sink: @escaping @Sendable ([BrokerPublication]) -> Void) { inner.setSink(sink) }

        func publish(_ batch: inout [BrokerPublication], now: SessionInstant) {
            published.withLockedValue { $0 += batch.map(\.topic) }
            inner.publish(&batch, now: now)
        }

        func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead {
            historyReads.withLockedValue { $0 += 1 }
            return inner.history(of: topic, recover: recover, now: now)
        }
    }

    @Test func publishesAndHistoryGoThroughTheConfiguredBroker() async throws {
        let broker = RecordingBroker()
        let server = try await TestServer.start(broker: broker)
        defer { Task { await server.stop() } }
        let subscriber = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await subscriber.authenticateHMAC()
        try await subscriber.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "via.broker")))])
        let subscribed = try await subscriber.read { t in t.messages.contains { $0.type == .subscribeResult } }
        guard case .subscribeResult(let result)? = subscribed.messages.last(where: { $0.type == .subscribeResult })?.body else {
            Issue.record("no SubscribeResult")
            return
        }
        #expect(result.epoch != 0, "the epoch comes from the broker's history")
        #expect(broker.historyReads.withLockedValue { $0 } == 1)

        let publisher = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await publisher.authenticateHMAC()
        try await publisher.send([
            CourierMessage(body: .binaryData(DataMessage(route: .topic("via.broker"), payload: ByteBuffer(string: "one")))),
            CourierMessage(body: .binaryData(DataMessage(route: .topic("via.broker"), payload: ByteBuffer(string: "two")))),
        ])
        let delivered = try await subscriber.read { t in t.messages.filter { $0.type == .binaryData }.count >= 2 }
        let payloads = delivered.messages.compactMap { message -> String? in
            guard case .binaryData(let data) = message.body else { return nil }
            return String(buffer: data.payload)
        }
        #expect(payloads == ["one", "two"])
        #expect(broker.published.withLockedValue { $0 } == ["via.broker", "via.broker"])
    }
}
