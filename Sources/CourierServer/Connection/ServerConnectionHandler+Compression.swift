import CoreMetrics
import CourierCompression
import CourierSession
import CourierWire
import Logging
import NIOCore

/// Compression at the edges of a connection (`docs/PROTOCOL.md` §20): the handshake
/// agreement, inflating what a client sent COMPRESSED (bounded: the bomb defence),
/// the per-recipient form of what goes out, and SnapshotRequests.
extension ServerConnectionHandler {
    /// Reads the client's compression offer; what the server agrees to goes into the
    /// HandshakeResponse (`compressionExtension`). False (after closing) when the
    /// offer does not decode.
    func agreeCompression(_ handshake: Handshake) -> Bool {
        let settings = server.configuration.compression
        guard settings.enabled, let offered = handshake.extensions.first(where: { $0.id == CompressionOffer.extensionID }) else { return true }
        do {
            let offer = try CompressionOffer(decoding: offered.value)
            compression = ConnectionCompression(
                agreement: offer.agreement(holding: settings.dictionaries, formats: settings.deltaFormats),
                maxKeys: settings.deltaKeysPerConnection
            )
            return true
        } catch {
            server.metrics.rejected("compression_extension")
            perform(violation: Violation(
                error: ErrorMessage(code: .malformedMessage, message: "\(error)"),
                close: Close(code: .malformedMessage, reason: "bad compression extension")
            ))
            return false
        }
    }

    /// The HandshakeResponse extension naming what was agreed (none without an offer).
    var compressionExtension: [HandshakeExtension] {
        guard let agreement = compression?.agreement, let value = try? agreement.encoded() else { return [] }
        return [HandshakeExtension(id: CompressionOffer.extensionID, value: value)]
    }

    /// A client's data message as the server routes it: a COMPRESSED payload inflated
    /// (kept as it came for recipients with the dictionary), never past
    /// `maxMessageBytes`. Nil after closing the connection: a bomb is Error 103 and
    /// Close 1009; a payload that does not inflate (corrupt, a dictionary not agreed,
    /// COMPRESSED with ENCRYPTED, TextData that is not UTF-8) is Error 105 and Close
    /// 1007. DELTA from a client is Error 102 and Close 4003 (the server makes deltas).
    func admitIncoming(_ message: CourierMessage) -> (message: CourierMessage, compressed: CompressedForm?)? {
        let flags = message.header.flags
        if flags.contains(.delta) {
            server.metrics.rejected("client_delta")
            perform(violation: .unexpected("DELTA from a client: send full values, the server makes the deltas"))
            return nil
        }
        guard flags.contains(.compressed), let payload = message.dataPayload else { return (message, nil) }
        func refuse(_ reason: String, _ detail: String) -> (message: CourierMessage, compressed: CompressedForm?)? {
            server.metrics.rejected(reason)
            perform(violation: Violation(
                error: ErrorMessage(code: .invalidCompressedPayload, message: Violation.truncate(detail, FieldLimits.errorMessage)),
                close: Close(code: .invalidPayload, reason: "invalid compressed payload")
            ))
            return nil
        }
        if flags.contains(.encrypted) {
            return refuse("compressed_encrypted", "COMPRESSED with ENCRYPTED: compress before sealing, inside the ciphertext")
        }
        guard let agreement = compression?.agreement else {
            return refuse("compression_not_agreed", "COMPRESSED, but no compression was agreed in the handshake")
        }
        let limit = server.configuration.maxMessageBytes
        let inflated: ByteBuffer
        do {
            inflated = try CompressedPayload.inflate(payload, maxOutput: limit, with: loopDecompressor()) { id in
                agreement.covers(dictionaryID: id) ? .some(self.server.configuration.compression.dictionary(id: id)) : nil
            }
        } catch let error as CompressionError where error.category == .outputTooLarge {
            server.metrics.rejected("decompression_bomb")
            logger.notice("compressed message inflates past the limit", metadata: ["limit": "\(limit)", "compressed": "\(payload.readableBytes)"])
            perform(violation: Violation(
                error: ErrorMessage(code: .messageTooLarge, message: "compressed payload of \(payload.readableBytes) bytes inflates past maxMessageBytes (\(limit))"),
                close: Close(code: .messageTooBig, reason: "inflated message too large")
            ))
            return nil
        } catch {
            return refuse("invalid_compressed_payload", "compressed payload: \(error)")
        }
        if message.type == .textData, inflated.withUnsafeReadableBytes({ UTF8Validation.firstInvalidIndex($0) }) != nil {
            return refuse("invalid_compressed_payload", "TextData is not UTF-8 once inflated")
        }
        server.metrics.inflated.increment()
        var plain = message.replacingPayload(inflated)
        plain.header.flags.remove(.compressed)
        let id = (try? CompressedPayload.split(payload).dictionaryID) ?? 0
        return (plain, CompressedForm(dictionaryID: id, payload: ByteBuffer(buffer: payload)))
    }

    /// This event loop's decompressor (one zlib stream per loop, not per connection).
    func loopDecompressor() throws -> MessageDecompressor {
        guard let flusher = tickFlusher else { return try MessageDecompressor() }
        return try flusher.decompressor()
    }

    /// A SnapshotRequest: the key's latest value as a full DeltaUpdate on the channel
    /// that delivers `topic` to this session, or Error 306.
    func answerSnapshot(_ request: SnapshotRequest, sessionID: UInt64) {
        flushPublishes()
        guard let route = server.registry.route(of: request.topic, to: sessionID) else {
            return channelError(.snapshotUnavailable, .request(request.requestID), "no subscription delivers \(request.topic)")
        }
        guard let latest = server.broker.latestValue(of: request.topic, key: request.key) else {
            return channelError(.snapshotUnavailable, .request(request.requestID), "no value kept for key \(request.key) of \(request.topic)")
        }
        let update = DeltaUpdate(route: route.route, key: request.key, version: latest.version, checksum: latest.checksum, payload: latest.value)
        let publication = OutboundPublication(
            message: CourierMessage(body: .deltaUpdate(update)), topic: request.topic, reliable: false,
            bytes: latest.value.readableBytes, policy: server.configuration.topicPolicies.policy(for: request.topic)
        )
        server.metrics.snapshotsServed.increment()
        deliverFromRouter(QueuedDelivery(publication: publication, route: route.route, channel: route.channel))
    }
}
