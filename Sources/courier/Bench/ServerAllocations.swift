import CourierInspect
import Foundation

/// The server's mallocs over a ping-pong run (`courier bench rtt --count-allocations`):
/// warm-up and timed round trips alike, all on the same path.
struct ServerAllocations {
    let mallocs: UInt64?
    let roundTrips: Int
    let unavailable: String?

    init(before: UInt64?, after: UInt64?, roundTrips: Int, unavailable: String?) {
        if let before, let after, after >= before {
            mallocs = after - before
            self.unavailable = nil
        } else {
            mallocs = nil
            self.unavailable = unavailable ?? "courier serve did not report its malloc count (SIGUSR2)"
        }
        self.roundTrips = roundTrips
    }

    var perRoundTrip: Double? { mallocs.flatMap { roundTrips > 0 ? Double($0) / Double(roundTrips) : nil } }

    var json: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("allocations_per_round_trip", perRoundTrip.map { .decimal(String(format: "%.4f", $0)) } ?? .null),
            ("server_mallocs", mallocs.map { .number(Int64(clamping: $0)) } ?? .null),
        ]
        if let unavailable { fields.append(("allocations_unavailable", .string(unavailable))) }
        return fields
    }

    var line: String {
        guard let mallocs, let perRoundTrip else { return "server mallocs: not counted (\(unavailable ?? "unknown"))" }
        return "server mallocs: \(mallocs) over \(roundTrips) round trips, \(String(format: "%.4f", perRoundTrip)) per round trip"
    }
}
