import CourierInspect
import Foundation
import Histogram

/// HdrHistogram of latencies in microseconds, printed as a table or JSON.
struct LatencyReport {
    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ duration: Duration) {
        let micros = max(1, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        _ = histogram.record(UInt64(micros))
    }

    var count: UInt64 { histogram.totalCount }
    func percentile(_ p: Double) -> UInt64 { histogram.valueAtPercentile(p) }

    var json: JSONValue {
        .object([
            ("p50", .number(Int64(percentile(50)))), ("p99", .number(Int64(percentile(99)))),
            ("p999", .number(Int64(percentile(99.9)))), ("max", .number(Int64(histogram.max))),
        ])
    }

    var line: String {
        "p50 \(percentile(50)) µs  p99 \(percentile(99)) µs  p99.9 \(percentile(99.9)) µs  max \(histogram.max) µs  (n = \(count))"
    }
}

/// A progress line on standard error while a benchmark runs.
struct Progress {
    let total: Int
    var last = ContinuousClock.now

    mutating func update(_ done: Int) {
        let now = ContinuousClock.now
        guard now - last > .milliseconds(500) || done == total else { return }
        last = now
        FileHandle.standardError.write(Data("\r  \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension Duration {
    /// Whole microseconds (rounded down).
    var wholeMicroseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
