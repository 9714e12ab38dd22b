import CourierCompression
import CourierWire
import NIOCore

extension CourierClient {
    /// Publishes the new full value of `key` as a DeltaUpdate (`docs/PROTOCOL.md` §7.10,
    /// §20.3). The server numbers the key's values and sends each subscriber that holds
    /// the previous one only the delta; subscribers' `messages` still get full values.
    public func publishValue(_ value: ByteBuffer, key: String, to destination: Destination, reliable: Bool = true) async throws(CourierClientError) {
        guard key.utf8.count <= FieldLimits.key else {
            throw .invalidDestination("key must be at most \(FieldLimits.key) bytes")
        }
        let route = try destination.route()
        let update = DeltaUpdate(route: route, key: key, version: 0, checksum: CRC32.checksum(value), payload: value)
        let message = CourierMessage(header: MessageHeader(), body: .deltaUpdate(update))
        let body = Self.routeBytes(route) + key.utf8.count + 16 + value.readableBytes
        let bytes = value.readableBytes
        try await onLoop { $0.send(message, reliable: reliable, bodyBytes: body, payloadBytes: bytes, awaitAcknowledgement: false) }
    }

    public func publishValue(_ text: String, key: String, to destination: Destination, reliable: Bool = true) async throws(CourierClientError) {
        try await publishValue(ByteBuffer(string: text), key: key, to: destination, reliable: reliable)
    }

    /// How many deltas could not be applied (no base, or a checksum mismatch): each one
    /// asked the server for a snapshot instead of reaching `messages`.
    public func snapshotsRequested() async -> Int {
        let core = self.core
        return (try? await eventLoop.submit { core.value.snapshotsRequested }.get()) ?? 0
    }
}
