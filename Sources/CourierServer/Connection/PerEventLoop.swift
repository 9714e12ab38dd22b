import NIOConcurrencyHelpers
import NIOCore

/// One `Value` per event loop, made on first use: the loop-local helpers every
/// connection of a loop shares (`TickFlusher`, `LoopMetrics`, `ConnectionTimers`).
/// Looked up once per connection (under a lock), then used on that loop only.
final class PerEventLoop<Value: AnyObject & Sendable>: Sendable {
    private let make: @Sendable (any EventLoop) -> Value
    private let values = NIOLockedValueBox([ObjectIdentifier: Value]())

    init(_ make: @escaping @Sendable (any EventLoop) -> Value) {
        self.make = make
    }

    func value(for loop: any EventLoop) -> Value {
        values.withLockedValue { values in
            if let existing = values[ObjectIdentifier(loop)] { return existing }
            let made = make(loop)
            values[ObjectIdentifier(loop)] = made
            return made
        }
    }
}
