import CourierAuth
import CourierSession
import CourierWire
import Foundation
import NIOCore

/// The detached sessions of a server that is restarting (`docs/PROTOCOL.md` §12, "Across a server restart"):
/// written when a drain ends, read by the next process at start, so clients that
/// return within the resume window resume exactly where they were: the same
/// sequences both ways, the same subscriptions, and every reliable message they
/// have not acknowledged.
///
/// JSON (field names below), one object; unacknowledged messages are their protocol
/// v2 encodings (base64). The file holds message payloads: the server writes it with
/// mode 0600 and deletes it once read.
struct SessionSnapshot: Codable, Equatable, Sendable {
    static let currentFormat = 1

    var format: Int
    /// When the drain ended, in microseconds since the Unix epoch.
    var savedAtMicros: Int64
    var sessions: [Session]

    struct Session: Codable, Equatable, Sendable {
        var id: UInt64
        var userID: String
        var publish: [String]
        var subscribe: [String]
        var subscriptions: [Subscription]
        var nextAlias: UInt32
        /// How long the session had been detached when the snapshot was taken.
        var detachedForMicros: Int64
        var overflowed: Bool
        /// Channel aliases the client bound on its connection (alias → topic).
        var inboundAliases: [Subscription]
        /// Inbound: the last sequence received from the client.
        var lastReceived: UInt32
        /// Outbound: the last sequence sent and the last one acknowledged.
        var lastSent: UInt32
        var acknowledged: UInt32
        var unacknowledged: [Message]
    }

    struct Subscription: Codable, Equatable, Sendable {
        var alias: UInt32
        var pattern: String
    }

    struct Message: Codable, Equatable, Sendable {
        var sequence: UInt32
        /// What the message counts against the replay buffer's byte limit.
        var bytes: Int
        /// The message, protocol v2 encoding without a length prefix.
        var encoded: Data
    }

    enum LoadError: Error, CustomStringConvertible {
        case unreadable(String)
        case unsupportedFormat(Int)
        case invalidSession(UInt64, String)

        var description: String {
            switch self {
            case .unreadable(let reason): return "the session snapshot cannot be read: \(reason)"
            case .unsupportedFormat(let format): return "the session snapshot has format \(format); this server reads format \(SessionSnapshot.currentFormat)"
            case .invalidSession(let id, let reason): return "session \(id) in the snapshot is invalid: \(reason)"
            }
        }
    }

    // MARK: Files

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = path + ".partial"
        FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: URL(fileURLWithPath: temporary))
        // Renamed into place: a reader never sees half a snapshot.
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// The snapshot at `path`, or nil when there is none.
    static func read(from path: String) throws(LoadError) -> SessionSnapshot? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let snapshot: SessionSnapshot
        do {
            snapshot = try JSONDecoder().decode(SessionSnapshot.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadable("\(error)")
        }
        guard snapshot.format == currentFormat else { throw .unsupportedFormat(snapshot.format) }
        return snapshot
    }

    // MARK: Messages

    static func encode(_ entry: OutboundReliability.Entry) throws -> Message {
        var buffer = ByteBuffer()
        try MessageEncoder(version: .v2).encode(entry.message, into: &buffer, includeLength: false)
        return Message(sequence: entry.sequence, bytes: entry.bytes, encoded: Data(buffer.readableBytesView))
    }

    static func decode(_ message: Message, sessionID: UInt64) throws(LoadError) -> OutboundReliability.Entry {
        let decoder = MessageDecoder(version: .v2, limits: WireLimits(maxMessageBytes: Int(UInt32.max), maxMessagesPerFrame: 1))
        guard let decoded = try? FrameReader.decodeAll(ByteBuffer(bytes: message.encoded), decoder: decoder), decoded.count == 1 else {
            throw .invalidSession(sessionID, "unacknowledged message \(message.sequence) does not decode")
        }
        return OutboundReliability.Entry(sequence: message.sequence, message: decoded[0].message, bytes: message.bytes)
    }
}

extension Principal {
    init(_ session: SessionSnapshot.Session) {
        self.init(userID: session.userID, publish: session.publish, subscribe: session.subscribe)
    }
}
