import NIOCore
import Synchronization

extension CourierClient {
    /// The data messages the server delivers, in order, across reconnects.
    ///
    /// Backpressured, never lossy: when `Configuration.incomingBufferLimit` messages
    /// wait unread, the client stops reading from the socket (TCP pushes back on the
    /// server) until the consumer has caught up to a quarter of that. A consumer stalled
    /// for longer than 2.5 heartbeat intervals makes the connection look dead; the
    /// client then reconnects and resumes, and reliable messages are replayed.
    ///
    /// With flow control on (`Configuration.flowControl`), credit for a message goes
    /// back to the server when the consumer takes it from here, not when it arrives:
    /// a consumer that stops reading stops the server after one window.
    ///
    /// Unicast: iterate it from one task, once. Ending the iteration ends the
    /// sequence; messages arriving after that are dropped.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = IncomingMessage
        typealias Strategy = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark
        typealias Producer = NIOAsyncSequenceProducer<IncomingMessage, Strategy, MessagesDelegate>
        typealias Source = Producer.Source

        let producer: Producer
        let consumption: ConsumptionReporter

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: producer.makeAsyncIterator(), consumption: consumption)
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: Producer.AsyncIterator
            let consumption: ConsumptionReporter

            public mutating func next() async -> IncomingMessage? {
                let message = await base.next()
                if message != nil { consumption.took() }
                return message
            }
        }

        static func make(limit: Int, delegate: MessagesDelegate) -> (Messages, Source) {
            let produced = Producer.makeSequence(
                elementType: IncomingMessage.self,
                backPressureStrategy: Strategy(lowWatermark: Swift.max(1, limit / 4), highWatermark: limit),
                finishOnDeinit: true,
                delegate: delegate
            )
            let consumption = ConsumptionReporter(loop: delegate.loop, core: delegate.core)
            return (Messages(producer: produced.sequence, consumption: consumption), produced.source)
        }
    }
}

/// Set once the client has finished (closed for good): what still arrives from the
/// consumer's side needs no hop to the loop, which may be shut down by then.
final class ClientEnded: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

/// Relays the consumer's demand to the client loop.
struct MessagesDelegate: NIOAsyncSequenceProducerDelegate {
    let loop: any EventLoop
    /// Filled on the loop right after the core is made.
    let core: NIOLoopBoundBox<ClientCore?>
    let ended: ClientEnded

    func produceMore() {
        loop.execute { core.value?.resumeReading() }
    }

    func didTerminate() {
        // The sequence often ends when the client is released, after `close()` and
        // perhaps after its event loop group shut down: nothing is left to tell then.
        guard !ended.isSet else { return }
        loop.execute {
            core.value?.messagesTerminated()
            core.value = nil
        }
    }
}

/// Tells the client loop how many messages the consumer took, so their credit can go
/// back to the server (§16.3). Takes coalesce: one hop to the loop carries every take
/// made before it runs.
final class ConsumptionReporter: Sendable {
    let loop: any EventLoop
    let core: NIOLoopBoundBox<ClientCore?>
    /// Takes not reported yet; a hop is on its way whenever this is above zero.
    private let pending = Mutex(0)

    init(loop: any EventLoop, core: NIOLoopBoundBox<ClientCore?>) {
        self.loop = loop
        self.core = core
    }

    /// The consumer took one message.
    func took() {
        let first = pending.withLock { count in
            count += 1
            return count == 1
        }
        guard first else { return }
        loop.execute {
            let count = self.pending.withLock { count in
                defer { count = 0 }
                return count
            }
            self.core.value?.messagesConsumed(count)
        }
    }
}
