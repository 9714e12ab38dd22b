import CourierServer
import CourierSession
import CourierWire
import Foundation
import Metrics
import NIOCore
import Prometheus
import Testing

/// The admin listener (`docs/OPERATIONS.md`) of a real server on 127.0.0.1: `/metrics`
/// in the Prometheus text format, `/health`, `/ready` through a drain, 404 and 405.
@Suite("Admin endpoints", .serialized)
struct AdminEndpointTests {
    /// A server whose metrics go to its own Prometheus registry.
    func start(
        drain: DrainPolicy = .init(), outboundHighWater: Int = 256 * 1_024, outboundLowWater: Int = 64 * 1_024, rateLimits: RateLimiter.Limits = .init()
    ) async throws -> (TestServer, Int) {
        let registry = PrometheusCollectorRegistry()
        let admin = AdminListener(port: 0, metrics: {
            var text: [UInt8] = []
            registry.emit(into: &text)
            return text
        })
        let server = try await TestServer.start(
            rateLimits: rateLimits, history: nil, outboundHighWater: outboundHighWater, outboundLowWater: outboundLowWater, drain: drain,
            admin: admin, metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        return (server, try #require(server.server.adminPort))
    }

    func get(_ path: String, port: Int, _ server: TestServer, method: String = "GET") async throws -> String {
        try await rawHTTP(port: port, "\(method) \(path) HTTP/1.1\r\nHost: admin\r\n\r\n", group: server.group)
    }

    /// The value of one sample line (`name{labels} value`) of a metrics text.
    func sample(_ line: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func metricsListTheDocumentedNamesAndCountTraffic() async throws {
        let (server, port) = try await start()
        defer { Task { await server.stop() } }
        let before = try await get("/metrics", port: port, server)
        #expect(before.hasPrefix("HTTP/1.1 200"))
        #expect(before.contains("Content-Type: text/plain; version=0.0.4"))
        for name in [
            "courier_connections", "courier_connections_opened_total", "courier_connections_closed_total",
            "courier_bytes_received_total", "courier_bytes_sent_total",
            "courier_messages_received_total", "courier_messages_sent_total",
            "courier_message_bytes_received_total", "courier_message_bytes_sent_total",
            "courier_queued_bytes", "courier_heartbeat_rtt_seconds", "courier_rate_limit_hits_total", "courier_handshakes_total",
        ] {
            #expect(before.contains("# TYPE \(name) "), "missing \(name)")
        }
        #expect(sample(#"courier_handshakes_total{outcome="accepted",reason="ok"}"#, in: before) == 0)

        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await socket.authenticateHMAC()
        try await socket.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "room.1")))])
        _ = try await socket.read { t in t.messages.contains { $0.type == .subscribeResult } }

        // Per-message counters reach the backend within LoopMetrics.publishInterval (20 ms).
        var after = try await get("/metrics", port: port, server)
        let deadline = ContinuousClock.now + .seconds(2)
        while sample(#"courier_messages_received_total{type="subscribe"}"#, in: after) != 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            after = try await get("/metrics", port: port, server)
        }
        #expect(sample(#"courier_handshakes_total{outcome="accepted",reason="ok"}"#, in: after) == 1)
        #expect(sample("courier_connections", in: after) == 1)
        #expect(sample(#"courier_messages_received_total{type="handshake"}"#, in: after) == 1)
        #expect(sample(#"courier_messages_received_total{type="subscribe"}"#, in: after) == 1)
        #expect(sample(#"courier_messages_sent_total{type="challenge"}"#, in: after) == 1)
        #expect(sample(#"courier_messages_sent_total{type="subscribe_result"}"#, in: after) == 1)
        #expect((sample(#"courier_message_bytes_received_total{type="subscribe"}"#, in: after) ?? 0) > 0)
        #expect((sample("courier_bytes_received_total", in: after) ?? 0) > 0)
        await socket.close()
    }

    @Test func healthAndReadyAnswer200AndOthersGet404Or405() async throws {
        let (server, port) = try await start()
        defer { Task { await server.stop() } }
        let health = try await get("/health", port: port, server)
        #expect(health.hasPrefix("HTTP/1.1 200"))
        #expect(health.hasSuffix("ok\n"))
        #expect(health.contains("Connection: close"))
        #expect(try await get("/ready", port: port, server).hasPrefix("HTTP/1.1 200"))
        #expect(try await get("/ready?verbose=1", port: port, server).hasPrefix("HTTP/1.1 200"))
        #expect(try await get("/nope", port: port, server).hasPrefix("HTTP/1.1 404"))
        let post = try await get("/metrics", port: port, server, method: "POST")
        #expect(post.hasPrefix("HTTP/1.1 405"))
        #expect(post.contains("Allow: GET"))
        #expect(try await get("/health", port: port, server, method: "DELETE").hasPrefix("HTTP/1.1 405"))
    }

    @Test func anOversizedRequestGets431AndASilentClientIsCut() async throws {
        let (server, port) = try await start()
        defer { Task { await server.stop() } }
        let huge = "GET /health HTTP/1.1\r\nHost: admin\r\nX-Padding: \(String(repeating: "a", count: 10_000))\r\n\r\n"
        #expect(try await rawHTTP(port: port, huge, group: server.group).hasPrefix("HTTP/1.1 431"))
        // An incomplete request is not answered, and the connection does not stay open:
        // the listener's request timeout (5 s) closes it.
        let started = ContinuousClock.now
        let silent = try await rawHTTP(port: port, "GET /health HTTP/1.1\r\n", group: server.group)
        #expect(silent.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(8))
    }

    @Test func readyTurns503WhenADrainStartsWhileHealthStays200() async throws {
        // A subscriber that stops reading holds the drain: its Close cannot be written
        // while the server's socket to it is full, so the drain waits for its deadline.
        let (server, port) = try await start(drain: DrainPolicy(retryAfter: .seconds(1), jitter: .seconds(1), deadline: .seconds(3)),
                                             outboundHighWater: 16 * 1_024, outboundLowWater: 4 * 1_024,
                                             rateLimits: .init(messagesPerSecond: 10_000_000, bytesPerSecond: 10_000_000_000))
        defer { Task { await server.stop() } }
        #expect(server.server.isReady)
        let slow = try await RawWebSocket.connect(port: server.port, group: server.group, receiveBuffer: 4_096)
        _ = try await slow.authenticateHMAC()
        try await slow.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: "flood.x")))])
        _ = try await slow.read { t in t.messages.contains { $0.type == .subscribeResult } }
        try await slow.reading(false)
        let publisher = try await RawWebSocket.connect(port: server.port, group: server.group)
        _ = try await publisher.authenticateHMAC()
        let message = CourierMessage(body: .binaryData(DataMessage(route: .topic("flood.x"), payload: ByteBuffer(repeating: 0x78, count: 1_024))))
        // Publish until the server's socket to the subscriber stays full (the kernel's
        // buffers take megabytes first): data still waits in the server's queue after a
        // pause in which a writable socket would have taken it.
        var blocked = false
        for wave in 1...2_000 where !blocked {
            try await publisher.send(Array(repeating: message, count: 100))
            if wave % 10 == 0 {
                try await Task.sleep(for: .milliseconds(200))
                blocked = (sample("courier_queued_bytes", in: try await get("/metrics", port: port, server)) ?? 0) > 0
            }
        }
        try #require(blocked)

        let drainStarted = ContinuousClock.now
        let drain = Task { await server.server.drain(); return ContinuousClock.now - drainStarted }
        var ready = ""
        for _ in 0..<100 {
            ready = try await get("/ready", port: port, server)
            if !ready.hasPrefix("HTTP/1.1 200") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(ready.hasPrefix("HTTP/1.1 503"))
        #expect(server.server.isDraining)
        #expect(!server.server.isReady)
        #expect(try await get("/health", port: port, server).hasPrefix("HTTP/1.1 200"))
        // The stalled subscriber held it until its deadline.
        #expect(await drain.value >= .seconds(2))
        await publisher.close()
        await slow.close()
    }
}
