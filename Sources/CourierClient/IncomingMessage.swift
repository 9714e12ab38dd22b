import CourierWire
import NIOCore

/// A data message delivered by the server. Reliable messages arrive exactly once and
/// in order, also across a resumed connection (`docs/PROTOCOL.md` §12).
public struct IncomingMessage: Hashable, Sendable {
    /// The DeltaUpdate fields (§7.10).
    public struct Delta: Hashable, Sendable {
        public var key: String
        /// The version of the value (the server numbers each key's values, §20.3); 0:
        /// unversioned. The client has already applied any delta: `payload` is the full value.
        public var version: UInt32
        /// CRC-32 of the full value after applying.
        public var checksum: UInt32
    }

    /// TextData, BinaryData or DeltaUpdate.
    public var type: MessageType
    /// Where the message comes from, as the server sent it.
    public var route: Route
    /// The topic, when the route names one or a channel alias bound to one.
    public var topic: String?
    public var payload: ByteBuffer
    /// The reliable sequence; nil for an unreliable message.
    public var sequence: UInt32?
    public var flags: MessageFlags
    /// Microseconds since the Unix epoch, when the server stamped the message.
    public var timestamp: UInt64?
    /// Present on a DeltaUpdate.
    public var delta: Delta?
    /// The message's offset in its topic's history, for a message delivered on a
    /// literal subscription of a topic with history (`docs/PROTOCOL.md` §16.1). Resume a
    /// subscription after it with `HistoryPosition(epoch: subscription.epoch, offset: offset + 1)`.
    public var offset: UInt64?

    public init(
        type: MessageType, route: Route, topic: String? = nil, payload: ByteBuffer, sequence: UInt32? = nil,
        flags: MessageFlags = [], timestamp: UInt64? = nil, delta: Delta? = nil
    ) {
        self.type = type
        self.route = route
        self.topic = topic
        self.payload = payload
        self.sequence = sequence
        self.flags = flags
        self.timestamp = timestamp
        self.delta = delta
    }

    /// The payload as text, for an uncompressed, unencrypted TextData (checked UTF-8).
    public var text: String? {
        guard type == .textData, flags.isDisjoint(with: [.compressed, .encrypted]) else { return nil }
        return String(buffer: payload)
    }

    /// The client-facing form of a delivered data message; nil for other types.
    init?(_ message: CourierMessage, topic resolve: (Route) -> String?) {
        let header = message.header
        switch message.body {
        case .textData(let data), .binaryData(let data):
            self.init(
                type: message.type, route: data.route, topic: resolve(data.route), payload: data.payload,
                sequence: header.sequence, flags: header.flags, timestamp: header.timestamp
            )
        case .deltaUpdate(let update):
            self.init(
                type: message.type, route: update.route, topic: resolve(update.route), payload: update.payload,
                sequence: header.sequence, flags: header.flags, timestamp: header.timestamp,
                delta: Delta(key: update.key, version: update.version, checksum: update.checksum)
            )
        default:
            return nil
        }
    }
}
