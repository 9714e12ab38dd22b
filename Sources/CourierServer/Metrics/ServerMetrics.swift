import CoreMetrics
import CourierSession
import CourierWire
import Metrics

/// What the server counts, through swift-metrics: whatever backend the process
/// bootstrapped (`courier serve` exports Prometheus text at the admin listener's
/// `GET /metrics`), or `ServerConfiguration.metricsFactory`. Every name, type and label
/// is listed in `docs/OPERATIONS.md`; a name always has the same label names (a
/// Prometheus registry refuses anything else).
///
/// Per-message counts stay cheap: the handlers for each message type are created here
/// once; connections count into their event loop's `LoopMetrics` (plain arithmetic),
/// which hands the sums over at most every `LoopMetrics.publishInterval`.
///
/// A class, shared by reference: as a struct of ~20 metric objects, every use from a
/// connection handler (`server.metrics.…`, several per read batch) copied it, with a
/// retain and a release of each of them (~3 % of the server's CPU in the RTT profile).
final class ServerMetrics: Sendable {
    let factory: any MetricsFactory

    /// Courier connections open now (upgraded WebSockets).
    let connections: Meter
    let connectionsOpened: Metrics.Counter
    let connectionsClosed: Metrics.Counter
    /// WebSocket payload bytes (every message of a frame, framing excluded).
    let bytesIn: Metrics.Counter
    let bytesOut: Metrics.Counter
    /// Courier messages and their bytes (header included), by message type.
    let received: TypedCounters
    let sent: TypedCounters
    /// Payload bytes of data waiting in connections' queues, all connections together.
    let queuedBytes: Meter
    /// Heartbeat round trips measured by the server.
    let heartbeatRoundTrip: Metrics.Timer
    let rateLimitedDrops: Metrics.Counter
    let rateLimitedCloses: Metrics.Counter
    let addressConnectionRefusals: Metrics.Counter
    let addressHandshakeRefusals: Metrics.Counter
    let handshakesAccepted: Metrics.Counter
    /// Compression (§20): COMPRESSED messages inflated at ingress, and what recipients
    /// got in place of the plain payload.
    let inflated: Metrics.Counter
    let sentCompressed: Metrics.Counter
    let sentDelta: Metrics.Counter
    let snapshotsServed: Metrics.Counter

    init(factory: any MetricsFactory) {
        self.factory = factory
        connections = Meter(label: "courier_connections", factory: factory)
        connectionsOpened = Metrics.Counter(label: "courier_connections_opened_total", factory: factory)
        connectionsClosed = Metrics.Counter(label: "courier_connections_closed_total", factory: factory)
        bytesIn = Metrics.Counter(label: "courier_bytes_received_total", factory: factory)
        bytesOut = Metrics.Counter(label: "courier_bytes_sent_total", factory: factory)
        received = TypedCounters(messages: "courier_messages_received_total", bytes: "courier_message_bytes_received_total", factory: factory)
        sent = TypedCounters(messages: "courier_messages_sent_total", bytes: "courier_message_bytes_sent_total", factory: factory)
        queuedBytes = Meter(label: "courier_queued_bytes", factory: factory)
        heartbeatRoundTrip = Metrics.Timer(label: "courier_heartbeat_rtt_seconds", factory: factory)
        func limit(_ kind: String, _ action: String) -> Metrics.Counter {
            Metrics.Counter(label: "courier_rate_limit_hits_total", dimensions: [("kind", kind), ("action", action)], factory: factory)
        }
        rateLimitedDrops = limit("connection_data", "drop")
        rateLimitedCloses = limit("connection_data", "close")
        addressConnectionRefusals = limit("address_connections", "refuse")
        addressHandshakeRefusals = limit("address_failed_handshakes", "refuse")
        handshakesAccepted = Metrics.Counter(label: "courier_handshakes_total", dimensions: [("outcome", "accepted"), ("reason", "ok")], factory: factory)
        inflated = Metrics.Counter(label: "courier_compressed_messages_inflated_total", factory: factory)
        sentCompressed = Metrics.Counter(label: "courier_deliveries_by_form_total", dimensions: [("form", "compressed")], factory: factory)
        sentDelta = Metrics.Counter(label: "courier_deliveries_by_form_total", dimensions: [("form", "delta")], factory: factory)
        snapshotsServed = Metrics.Counter(label: "courier_snapshots_served_total", factory: factory)
    }

    /// Hands a connection's tallies to the counters and empties them.
    func record(received tally: inout MessageTally) { received.record(&tally) }
    func record(sent tally: inout MessageTally) { sent.record(&tally) }

    func handshake(outcome: String, reason: String) {
        if outcome == "accepted" { return handshakesAccepted.increment() }
        Metrics.Counter(label: "courier_handshakes_total", dimensions: [("outcome", outcome), ("reason", reason)], factory: factory).increment()
    }

    func closed(code: CloseCode, initiator: String) {
        Metrics.Counter(label: "courier_closes_total", dimensions: [("code", String(code.rawValue)), ("by", initiator)], factory: factory).increment()
    }

    func dropped(policy: SlowConsumerPolicy, count: Int) {
        Metrics.Counter(label: "courier_slow_consumer_drops_total", dimensions: [("policy", policy.rawValue)], factory: factory).increment(by: count)
    }

    func rejected(_ reason: String) {
        Metrics.Counter(label: "courier_rejections_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func resume(outcome: String) {
        Metrics.Counter(label: "courier_resumes_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// A per-address limit refused a connection.
    func addressRefused(_ refusal: AddressLimiter.Refusal) {
        switch refusal {
        case .tooManyConnections: addressConnectionRefusals.increment()
        case .tooManyFailedHandshakes: addressHandshakeRefusals.increment()
        }
    }
}

/// A message counter and a byte counter for each message type (label `type`), made once.
struct TypedCounters: Sendable {
    let messages: [Metrics.Counter]
    let bytes: [Metrics.Counter]

    init(messages messagesLabel: String, bytes bytesLabel: String, factory: any MetricsFactory) {
        messages = MessageTally.typeLabels.map { Metrics.Counter(label: messagesLabel, dimensions: [("type", $0)], factory: factory) }
        bytes = MessageTally.typeLabels.map { Metrics.Counter(label: bytesLabel, dimensions: [("type", $0)], factory: factory) }
    }

    func record(_ tally: inout MessageTally) {
        while tally.dirtySlots != 0 {
            let slot = tally.dirtySlots.trailingZeroBitCount
            tally.dirtySlots &= tally.dirtySlots - 1
            messages[slot].increment(by: tally.messages[slot])
            bytes[slot].increment(by: tally.bytes[slot])
            tally.messages[slot] = 0
            tally.bytes[slot] = 0
        }
    }
}
