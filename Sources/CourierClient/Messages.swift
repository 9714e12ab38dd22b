import NIOCore

extension CourierClient {
    /// The data messages the server delivers, in order, across reconnects.
    ///
    /// Backpressured, never lossy: when `Configuration.incomingBufferLimit` messages
    /// wait unread, the client stops reading from the socket (TCP pushes back on the
    /// server) until the consumer has caught up to a quarter of that. A consumer stalled
    /// for longer than 2.5 heartbeat intervals makes the connection look dead; the
    /// client then reconnects and resumes, and reliable messages are replayed.
    ///
    /// Unicast: iterate it from one task, once. Ending the iteration ends the
    /// sequence; messages arriving after that are dropped.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = IncomingMessage
        typealias Strategy = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark
        typealias Producer = NIOAsyncSequenceProducer<IncomingMessage, Strategy, MessagesDelegate>
        typealias Source = Producer.Source

        let producer: Producer

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: producer.makeAsyncIterator())
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: Producer.AsyncIterator

            public mutating func next() async -> IncomingMessage? {
                await base.next()
            }
        }

        static func make(limit: Int, delegate: MessagesDelegate) -> (Messages, Source) {
            let produced = Producer.makeSequence(
                elementType: IncomingMessage.self,
                backPressureStrategy: Strategy(lowWatermark: Swift.max(1, limit / 4), highWatermark: limit),
                finishOnDeinit: true,
                delegate: delegate
            )
            return (Messages(producer: produced.sequence), produced.source)
        }
    }
}

/// Relays the consumer's demand to the client loop.
struct MessagesDelegate: NIOAsyncSequenceProducerDelegate {
    let loop: any EventLoop
    /// Filled on the loop right after the core is made.
    let core: NIOLoopBoundBox<ClientCore?>

    func produceMore() {
        loop.execute { core.value?.resumeReading() }
    }

    func didTerminate() {
        loop.execute {
            core.value?.messagesTerminated()
            core.value = nil
        }
    }
}
