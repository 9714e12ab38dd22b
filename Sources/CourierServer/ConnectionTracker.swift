import CourierWire
import NIOConcurrencyHelpers
import NIOCore

/// Live Courier connections, so that shutdown can tell each one to come back later.
final class ConnectionTracker: Sendable {
    struct Entry: Sendable {
        let eventLoop: any EventLoop
        /// Runs on `eventLoop`: send Close with this code and hint, then close.
        let close: @Sendable (Close) -> Void
        /// Runs on `eventLoop`: drop the TCP connection without a word.
        let sever: @Sendable () -> Void
        let closeFuture: EventLoopFuture<Void>
    }

    private let entries = NIOLockedValueBox([UInt64: Entry]())
    private let nextID = NIOLockedValueBox<UInt64>(1)

    func makeID() -> UInt64 {
        nextID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
    }

    func add(_ id: UInt64, _ entry: Entry) {
        entries.withLockedValue { $0[id] = entry }
        entry.closeFuture.whenComplete { _ in self.remove(id) }
    }

    func remove(_ id: UInt64) {
        entries.withLockedValue { _ = $0.removeValue(forKey: id) }
    }

    var count: Int { entries.withLockedValue { $0.count } }

    var all: [Entry] { entries.withLockedValue { Array($0.values) } }
}
