import CourierSession
import CourierWire
import NIOCore

/// Carries publications to every node that has subscribers and keeps topic history
/// (`docs/PROTOCOL.md` §16, §16.1). The server's router (`SessionRegistry`) is the
/// node-local end: it owns subscriptions and fans each publication out to this node's
/// sessions. `InMemoryBroker` (the default) serves one node; a cluster broker (Redis
/// pub/sub for the live stream, a stream per topic for history) implements the same
/// contract, and nothing else in the server changes.
///
/// The contract that keeps recovery exact on any broker:
/// * Publications of one topic reach the sink in offset order.
/// * A subscriber registers with the router first and reads history second; the
///   router drops live deliveries whose offset it already delivered from history, so
///   the overlap between the two is harmless and nothing falls between them.
public protocol Broker: Sendable {
    /// Where publications go (on this node): set once, before the first publish.
    func setSink(_ sink: @escaping @Sendable ([BrokerPublication]) -> Void)

    /// Publishes a batch, in order. Each message of a topic with history gets that
    /// topic's epoch and next offset, written into `batch` in place (the caller reuses
    /// the array: no copy per read batch); the batch then reaches every node's sink.
    func publish(_ batch: inout [BrokerPublication], now: SessionInstant)

    /// Where `topic`'s live stream stands and, when `recover` asks for it and the
    /// history still holds everything from there, the messages missed.
    func history(of topic: String, recover: Subscribe.Recover?, now: SessionInstant) -> HistoryRead

    /// The latest value of a DeltaUpdate key (§20.4), for a SnapshotRequest. A broker
    /// that numbers DeltaUpdate values (sets their `version` and `delta` in `publish`)
    /// keeps them; the default keeps none.
    func latestValue(of topic: String, key: String) -> LatestValue?
}

extension Broker {
    public func latestValue(of topic: String, key: String) -> LatestValue? { nil }
}

/// A message published to a topic.
public struct BrokerPublication: Sendable {
    public var topic: String
    /// The recipient-side message (header and body, no route yet).
    public var message: CourierMessage
    public var reliable: Bool
    /// Payload bytes.
    public var bytes: Int
    /// Set by the broker for topics with history (0: none).
    public var epoch: UInt64 = 0
    public var offset: UInt64 = 0
    /// The payload as the publisher sent it COMPRESSED (`message` carries it inflated).
    public var compressed: CompressedForm? {
        get { forms?.compressed }
        set { setForms(compressed: newValue, delta: delta) }
    }
    /// DeltaUpdate (set by the broker): the DELTA payload from version `version - 1`
    /// of the key to the value `message` carries (§20.3).
    public var delta: ByteBuffer? {
        get { forms?.delta }
        set { setForms(compressed: compressed, delta: newValue) }
    }
    /// Both in one optional reference, so that the common publication (neither) stays
    /// small where batches of them are built and copied.
    private var forms: Forms?

    private final class Forms: Sendable {
        let compressed: CompressedForm?
        let delta: ByteBuffer?
        init(compressed: CompressedForm?, delta: ByteBuffer?) {
            self.compressed = compressed
            self.delta = delta
        }
    }

    private mutating func setForms(compressed: CompressedForm?, delta: ByteBuffer?) {
        forms = compressed == nil && delta == nil ? nil : Forms(compressed: compressed, delta: delta)
    }

    public init(topic: String, message: CourierMessage, reliable: Bool, bytes: Int) {
        self.topic = topic
        self.message = message
        self.reliable = reliable
        self.bytes = bytes
    }
}

/// What a subscriber learns from a topic's history.
public struct HistoryRead: Sendable {
    /// 0 when the topic keeps no history.
    public var epoch: UInt64
    /// The offset the next live message will have.
    public var nextOffset: UInt64
    /// Recovered: the messages from the requested offset up to `nextOffset - 1`, in order.
    /// Nil when no recovery was asked or it failed.
    public var missed: [CourierMessage]?

    public init(epoch: UInt64, nextOffset: UInt64, missed: [CourierMessage]?) {
        self.epoch = epoch
        self.nextOffset = nextOffset
        self.missed = missed
    }
}
