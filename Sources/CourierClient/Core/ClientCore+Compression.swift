import CourierCompression
import CourierWire
import Logging
import NIOCore

// Compression and deltas on the client's side (§20): the offer, compressing what it
// sends, and undoing what the server sent before the application sees it.
extension ClientCore {
    /// The handshake extension this client sends (none without `configuration.compression`).
    var compressionExtensions: [HandshakeExtension] {
        guard let offer = configuration.compression?.offer, let value = try? offer.encoded() else { return [] }
        return [HandshakeExtension(id: CompressionOffer.extensionID, value: value)]
    }

    /// Reads what the server agreed to; a malformed answer counts as no agreement.
    func readAgreement(_ response: HandshakeResponse) {
        agreement = nil
        deltaBases.connectionChanged()
        guard configuration.compression != nil, let value = response.extensions.first(where: { $0.id == CompressionOffer.extensionID })?.value else { return }
        do {
            agreement = try CompressionOffer(decoding: value)
        } catch {
            logger.warning("server's compression extension does not decode: compression off", metadata: ["error": "\(error)"])
        }
    }

    /// Compresses the first waiting data message once, if that was agreed and pays.
    func compressFirstPending() {
        guard let settings = configuration.compression, let threshold = settings.compressAtLeast, let agreement,
              var next = pendingSends.first, !next.compressionDecided else { return }
        next.compressionDecided = true
        defer { pendingSends[pendingSends.startIndex] = next }
        let flags = next.message.header.flags
        guard flags.isDisjoint(with: [.compressed, .encrypted]), let payload = next.message.dataPayload, payload.readableBytes >= threshold else { return }
        let id = settings.preferredDictionary.flatMap { agreement.covers(dictionaryID: $0) ? $0 : nil } ?? agreement.dictionaries.first?.id ?? 0
        let dictionary = settings.dictionaries.first { $0.id == id }
        do {
            guard let compressed = try CompressedPayload.compress(payload, dictionary: dictionary, with: compressor()) else { return }
            next.message = next.message.replacingPayload(compressed)
            next.message.header.flags.insert(.compressed)
            next.bytes -= payload.readableBytes - compressed.readableBytes
        } catch {
            logger.warning("compression failed: sent plain", metadata: ["error": "\(error)"])
        }
    }

    /// A data message from the server as the application gets it: inflated, its delta
    /// applied. Nil when it cannot be (logged, and reported as a `serverError`; a delta
    /// without its base asks for a snapshot instead).
    func expand(_ message: CourierMessage) -> CourierMessage? {
        var message = message
        if message.header.flags.contains(.compressed), !message.header.flags.contains(.encrypted) {
            guard let payload = message.dataPayload else { return message }
            do {
                let agreement = self.agreement
                let held = configuration.compression?.dictionaries ?? []
                let inflated = try CompressedPayload.inflate(payload, maxOutput: configuration.maxMessageBytes, with: decompressor()) { id in
                    guard agreement?.covers(dictionaryID: id) ?? false else { return nil }
                    return .some(held.first { $0.id == id })
                }
                message = message.replacingPayload(inflated)
                message.header.flags.remove(.compressed)
            } catch {
                return undecodable("compressed payload: \(error)")
            }
        }
        guard case .deltaUpdate(var update) = message.body, !message.header.flags.contains(.encrypted),
              let topic = topic(for: update.route) else { return message }
        let key = DeltaBases.key(topic: topic, key: update.key)
        if message.header.flags.contains(.delta) {
            guard let base = deltaBases.base(key), base.version &+ 1 == update.version,
                  let value = try? DeltaPayload.apply(update.payload, to: base.value, maxOutput: configuration.maxMessageBytes),
                  CRC32.checksum(value) == update.checksum else {
                requestSnapshot(topic: topic, key: update.key, baseKey: key, version: update.version)
                return nil
            }
            update.payload = value
            message.header.flags.remove(.delta)
            message.body = .deltaUpdate(update)
        }
        if let newer = deltaBases.keep(key, version: update.version, value: update.payload) {
            // A snapshot older than a delta dropped while waiting for it: ask again.
            requestSnapshot(topic: topic, key: update.key, baseKey: key, version: newer)
        }
        return message
    }

    /// Asks for the full value of a key whose delta could not be applied (once until it comes).
    private func requestSnapshot(topic: String, key: String, baseKey: String, version: UInt32) {
        snapshotsRequested += 1
        guard deltaBases.requestSnapshot(baseKey, version: version) else { return }
        logger.debug("delta without its base: asking for a snapshot", metadata: ["topic": "\(topic)", "key": "\(key)"])
        let request = SnapshotRequest(requestID: nextRequestID(), topic: topic, key: key)
        _ = send(CourierMessage(body: .snapshotRequest(request)), reliable: false, bodyBytes: 16 + topic.utf8.count + key.utf8.count, payloadBytes: 0, awaitAcknowledgement: false)
    }

    private func undecodable(_ reason: String) -> CourierMessage? {
        logger.error("dropped a message from the server that does not decode", metadata: ["reason": "\(reason)"])
        emit(.serverError(ErrorMessage(code: .invalidCompressedPayload, message: String(reason.utf8.prefix(FieldLimits.errorMessage)) ?? "undecodable")))
        return nil
    }

    private func compressor() throws -> MessageCompressor {
        if let messageCompressor { return messageCompressor }
        let made = try MessageCompressor()
        messageCompressor = made
        return made
    }

    private func decompressor() throws -> MessageDecompressor {
        if let messageDecompressor { return messageDecompressor }
        let made = try MessageDecompressor()
        messageDecompressor = made
        return made
    }
}
