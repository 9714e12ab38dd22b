import CoreMetrics
import Metrics
import Prometheus

/// `courier serve --admin-port`: the process's metrics go to a Prometheus registry,
/// which the admin listener's `GET /metrics` writes out in the text format.
enum PrometheusExport {
    /// Bootstraps swift-metrics with a `PrometheusMetricsFactory` (once per process)
    /// and returns what renders the registry.
    static func bootstrap() -> @Sendable () -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Heartbeat round trips: from loopback (~100 µs) to a bad mobile link (seconds).
        factory.durationHistogramBuckets["courier_heartbeat_rtt_seconds"] = rttBuckets
        MetricsSystem.bootstrap(factory)
        return {
            var text: [UInt8] = []
            registry.emit(into: &text)
            return text
        }
    }

    static let rttBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5),
    ]
}
