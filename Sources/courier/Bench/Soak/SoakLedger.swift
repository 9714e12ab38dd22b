import CourierChaos
import CourierClient
import Foundation
import NIOConcurrencyHelpers

/// Everything `courier bench soak` counts, from every sender, reader and event watcher.
/// Per-second buckets make the timeline; per-pair ledgers prove exactly-once, in-order.
final class SoakLedger: Sendable {
    /// What a reader saw of its predecessor's stream.
    struct Stream {
        /// Which sequence numbers arrived (index = number).
        var seen: [Bool] = []
        var next = 0
        var delivered = 0
        var duplicated = 0
        var outOfOrder = 0
    }

    struct Second {
        var sent = 0
        var delivered = 0
        var reconnects = 0
        var resumeFailed = 0
    }

    struct State {
        var acknowledged: [Int]
        var streams: [Stream]
        var seconds: [Second] = []
        var reconnects = 0
        var resumeFailed = 0
        var gaveUp = 0
        /// Connection loss to the session resumed, after resets and black holes.
        var recoveries: [Duration] = []
        /// The same after the server restart (Close 1012: the clients wait for the hint).
        var restartRecoveries: [Duration] = []
    }

    let start: ContinuousClock.Instant
    private let state: NIOLockedValueBox<State>

    init(clients: Int, start: ContinuousClock.Instant) {
        self.start = start
        self.state = NIOLockedValueBox(State(acknowledged: Array(repeating: 0, count: clients), streams: Array(repeating: Stream(), count: clients)))
    }

    private func second(_ now: ContinuousClock.Instant) -> Int { max(0, Int((now - start).components.seconds)) }

    private func bump(_ state: inout State, at now: ContinuousClock.Instant, _ body: (inout Second) -> Void) {
        let index = second(now)
        if state.seconds.count <= index { state.seconds += Array(repeating: Second(), count: index + 1 - state.seconds.count) }
        body(&state.seconds[index])
    }

    /// Sender `client`'s message `number` was acknowledged by the server.
    func acknowledged(client: Int, number: Int) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            state.acknowledged[client] = max(state.acknowledged[client], number + 1)
            bump(&state, at: now) { $0.sent += 1 }
        }
    }

    /// Reader `client` received `number` from its predecessor.
    func received(client: Int, number: Int) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            var stream = state.streams[client]
            if stream.seen.count <= number { stream.seen += Array(repeating: false, count: number + 1 - stream.seen.count) }
            if stream.seen[number] {
                stream.duplicated += 1
            } else {
                stream.seen[number] = true
                stream.delivered += 1
                if number != stream.next { stream.outOfOrder += 1 }
                bump(&state, at: now) { $0.delivered += 1 }
            }
            stream.next = max(stream.next, number + 1)
            state.streams[client] = stream
        }
    }

    func resumed(after loss: Duration, restart: Bool) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            state.reconnects += 1
            if restart { state.restartRecoveries.append(loss) } else { state.recoveries.append(loss) }
            bump(&state, at: now) { $0.reconnects += 1 }
        }
    }

    func resumeFailed() {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            state.resumeFailed += 1
            bump(&state, at: now) { $0.resumeFailed += 1 }
        }
    }

    /// A client used up its reconnect attempts (`gaveUp`): it is closed for good.
    func gaveUp() {
        state.withLockedValue { $0.gaveUp += 1 }
    }

    /// Whether every reader has every message its predecessor had acknowledged.
    func caughtUp() -> Bool {
        state.withLockedValue { state in
            state.streams.indices.allSatisfy { reader in
                let sender = (reader + state.streams.count - 1) % state.streams.count
                return state.streams[reader].delivered >= state.acknowledged[sender]
            }
        }
    }

    struct Totals {
        var sent = 0
        var delivered = 0
        var lost = 0
        var duplicated = 0
        var outOfOrder = 0
        var reconnects = 0
        var resumeFailed = 0
        var gaveUp = 0
        var recoveries: [Duration] = []
        var restartRecoveries: [Duration] = []
        var seconds: [Second] = []
    }

    /// `lost`: acknowledged by the server and never delivered to the subscriber.
    func totals() -> Totals {
        state.withLockedValue { state in
            var totals = Totals(reconnects: state.reconnects, resumeFailed: state.resumeFailed, gaveUp: state.gaveUp)
            let count = state.streams.count
            for reader in 0..<count {
                let sender = (reader + count - 1) % count
                let stream = state.streams[reader]
                let acknowledged = state.acknowledged[sender]
                totals.sent += acknowledged
                totals.delivered += stream.delivered
                totals.duplicated += stream.duplicated
                totals.outOfOrder += stream.outOfOrder
                totals.lost += (0..<acknowledged).filter { $0 >= stream.seen.count || !stream.seen[$0] }.count
            }
            totals.recoveries = state.recoveries.sorted()
            totals.restartRecoveries = state.restartRecoveries.sorted()
            totals.seconds = state.seconds
            return totals
        }
    }

    /// For each stream with acknowledged messages not delivered: which (the first ten).
    func missing() -> [String] {
        state.withLockedValue { state in
            let count = state.streams.count
            return (0..<count).compactMap { reader in
                let sender = (reader + count - 1) % count
                let stream = state.streams[reader]
                let missing = (0..<state.acknowledged[sender]).filter { $0 >= stream.seen.count || !stream.seen[$0] }
                guard !missing.isEmpty else { return nil }
                return "client \(reader) is missing \(missing.count) of the \(state.acknowledged[sender]) acknowledged from client \(sender): \(missing.prefix(10))"
                    + " (it received \(stream.delivered), the last \(stream.next - 1))"
            }
        }
    }

    var snapshot: (sent: Int, delivered: Int, reconnects: Int) {
        state.withLockedValue { state in
            (state.acknowledged.reduce(0, +), state.streams.map(\.delivered).reduce(0, +), state.reconnects)
        }
    }
}
