import CourierSession
import Foundation
import Logging

/// Sessions that outlive the process (`ServerConfiguration.sessionSnapshotPath`): saved
/// at the end of a drain, taken back (and the file deleted) before the next start
/// accepts connections.
extension CourierServer {
    /// Raised by `start()` when a snapshot exists but cannot be used: the server does
    /// not start on half of its sessions (move the file away to start without them).
    public struct SnapshotError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    func restoreSessions() throws {
        guard let path = configuration.sessionSnapshotPath else { return }
        let snapshot: SessionSnapshot
        do {
            guard let read = try SessionSnapshot.read(from: path) else { return }
            snapshot = read
        } catch {
            context.metrics.rejected("session_snapshot")
            throw SnapshotError(path: path, reason: error.description)
        }
        let wall = configuration.clock.wallNow()
        let nowMicros = Int64(wall.timeIntervalSince1970 * 1_000_000)
        let elapsed = Duration.microseconds(max(0, nowMicros - snapshot.savedAtMicros))
        let restored: Int
        do {
            restored = try context.registry.restore(snapshot, elapsed: elapsed, now: configuration.clock.now())
        } catch {
            context.metrics.rejected("session_snapshot")
            throw SnapshotError(path: path, reason: error.description)
        }
        // Taken: a later crash must not bring back sessions that have moved on since.
        try? FileManager.default.removeItem(atPath: path)
        context.logger.info("sessions restored", metadata: [
            "path": "\(path)", "restored": "\(restored)", "expired": "\(snapshot.sessions.count - restored)", "saved_ms_ago": "\(elapsed.milliseconds)",
        ])
    }

    func saveSessions() {
        guard let path = configuration.sessionSnapshotPath else { return }
        let wall = configuration.clock.wallNow()
        do {
            let snapshot = try context.registry.snapshot(now: configuration.clock.now(), savedAtMicros: Int64(wall.timeIntervalSince1970 * 1_000_000))
            try snapshot.write(to: path)
            context.logger.info("sessions saved", metadata: ["path": "\(path)", "sessions": "\(snapshot.sessions.count)"])
        } catch {
            context.logger.error("sessions not saved", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
