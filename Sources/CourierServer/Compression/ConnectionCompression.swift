import CourierCompression
import NIOCore

/// One connection's side of compression (`docs/PROTOCOL.md` §20): what its client
/// agreed to in the handshake, and the last version of each DeltaUpdate key written to
/// it, which decides per message whether it gets the publication's delta, its
/// compressed payload or the plain one. Lives on the connection's event loop.
struct ConnectionCompression {
    /// What one recipient gets of a publication.
    enum Form {
        /// The publication's own message (inflated payload, full value).
        case plain
        /// The publisher's COMPRESSED payload (the COMPRESSED flag set).
        case compressed(ByteBuffer)
        /// The DELTA payload from the version this connection was last sent.
        case delta(ByteBuffer)

        /// Payload bytes, when not the publication's own.
        var payloadBytes: Int? {
            switch self {
            case .plain: return nil
            case .compressed(let payload), .delta(let payload): return payload.readableBytes
            }
        }
    }

    let agreement: CompressionOffer
    /// Most keys remembered (`ServerCompression.deltaKeysPerConnection`).
    let maxKeys: Int
    /// Topic + NUL + key → the version last written to this connection.
    private(set) var lastSent: [String: UInt32] = [:]

    init(agreement: CompressionOffer, maxKeys: Int) {
        self.agreement = agreement
        self.maxKeys = maxKeys
    }

    /// The form `publication` takes on this connection, noting what the client holds
    /// once it is written (call it only for what is written next).
    /// Of what this client can take, the fewest bytes: the delta (when it holds the
    /// base), the publisher's compressed payload (when it agreed to its dictionary), or
    /// the plain one.
    mutating func form(for publication: OutboundPublication) -> Form {
        var best = Form.plain
        if let compressed = publication.compressed, agreement.covers(dictionaryID: compressed.dictionaryID) {
            best = .compressed(compressed.payload)
        }
        if let key = publication.deltaKey {
            let base = lastSent[key]
            if base != nil || lastSent.count < maxKeys { lastSent[key] = publication.version }
            if let delta = publication.delta, let base, base != 0, base &+ 1 == publication.version,
               let format = DeltaPayload.format(of: delta), agreement.deltaFormats.contains(format),
               delta.readableBytes < best.payloadBytes ?? publication.bytes {
                best = .delta(delta)
            }
        }
        return best
    }

    /// A full value was written outside a publication (a snapshot answer).
    mutating func sent(key: String, version: UInt32) {
        guard version != 0, lastSent[key] != nil || lastSent.count < maxKeys else { return }
        lastSent[key] = version
    }
}
