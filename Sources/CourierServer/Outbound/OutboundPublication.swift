import CourierWire
import NIOCore

/// One message on its way to recipients, shared by all of them: the router makes one
/// per publish and every recipient's queue holds a reference (no per-recipient copy of
/// the message or its payload). Immutable.
final class OutboundPublication: Sendable {
    /// The recipient-side message without its route (each recipient adds its own).
    let message: CourierMessage
    /// The concrete topic (nil for direct messages).
    let topic: String?
    let reliable: Bool
    /// Payload bytes: what the message costs against queue and credit limits.
    let bytes: Int
    let policy: SlowConsumerPolicy
    /// For `keepLatest`: the topic plus the DeltaUpdate key.
    let key: String?
    /// The offset in the topic's history (0: none).
    let offset: UInt64
    /// TextData/BinaryData: the type and payload, for encoding straight from the parts.
    let dataType: MessageType?
    let payload: ByteBuffer
    /// The payload as its publisher sent it COMPRESSED (`message` carries it inflated),
    /// for recipients that agreed to its dictionary (§20.2).
    let compressed: CompressedForm?
    /// DeltaUpdate with a version: the DELTA payload from the previous version, and the
    /// topic-and-key the recipient's last sent version is looked up by (§20.3).
    let delta: ByteBuffer?
    let deltaKey: String?
    let version: UInt32

    init(
        message: CourierMessage, topic: String?, reliable: Bool, bytes: Int, policy: SlowConsumerPolicy, offset: UInt64 = 0,
        compressed: CompressedForm? = nil, delta: ByteBuffer? = nil
    ) {
        self.message = message
        self.offset = offset
        self.compressed = compressed
        self.delta = delta
        if case .deltaUpdate(let update) = message.body, update.version != 0, let topic {
            deltaKey = topic + "\u{0}" + update.key
            version = update.version
        } else {
            deltaKey = nil
            version = 0
        }
        switch message.body {
        case .textData(let data), .binaryData(let data):
            dataType = message.type
            payload = data.payload
        default:
            dataType = nil
            payload = ByteBuffer()
        }
        self.topic = topic
        self.reliable = reliable
        self.bytes = bytes
        self.policy = policy
        if policy == .keepLatest, let topic {
            if case .deltaUpdate(let update) = message.body {
                key = deltaKey ?? topic + "\u{0}" + update.key
            } else {
                key = topic
            }
        } else {
            key = nil
        }
    }

    /// The message as one recipient gets it.
    func message(routed route: Route) -> CourierMessage {
        message.replacingRoute(route)
    }
}

/// One delivery in a connection's data queue: the shared publication and this
/// recipient's route and channel.
struct QueuedDelivery: Sendable {
    var publication: OutboundPublication
    var route: Route
    /// The queue it waits in: the subscription's alias, 0 for direct messages.
    var channel: UInt32
}

/// Consecutive publications of one topic for one recipient, in order (the router hands
/// them over together; the connection queues each as a `QueuedDelivery`).
struct DeliveryRun: Sendable {
    var publications: [OutboundPublication]
    var route: Route
    var channel: UInt32
}
