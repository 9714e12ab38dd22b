import CoreMetrics
import CourierSession
import CourierWire
import Logging
import NIOCore

/// Per-connection rate limits on incoming data (`docs/PROTOCOL.md` §18). A message over
/// the limit is numbered and acknowledged like any other (so reliable delivery stays
/// consistent) but not routed, and the client is told exactly which: one Error 400 per
/// read batch naming the dropped sequences. Still over the limit after
/// `strikesBeforeClose` windows in a row: Error 400, Close 1008.
extension ServerConnectionHandler {
    struct Drops {
        var count = 0
        /// Dropped reliable sequences, as contiguous ranges.
        var ranges: [ClosedRange<UInt32>] = []

        mutating func add(_ sequence: UInt32) {
            if let last = ranges.last, SequenceResolver.successor(of: last.upperBound) == sequence, sequence > last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound...sequence
            } else {
                ranges.append(sequence...sequence)
            }
        }
    }

    /// Whether `message` may be routed.
    ///
    /// - Parameter payloadBytes: the data payload's size; nil for subscriptions and
    ///   window updates, which are not data.
    func admit(_ message: CourierMessage, payloadBytes: Int?) -> Bool {
        guard let payloadBytes else { return true }
        switch rateLimiter.admit(bytes: payloadBytes, now: batchNow ?? now) {
        case .accept:
            return true
        case .drop:
            server.metrics.rejected("rate_limited")
            server.metrics.rateLimitedDrops.increment()
            drops.count += 1
            if let sequence = message.header.sequence { drops.add(sequence) }
            return false
        case .close:
            server.metrics.rejected("rate_limited_close")
            server.metrics.rateLimitedCloses.increment()
            logger.notice("closing a connection that stays over its rate limit", metadata: ["dropped": "\(rateLimiter.droppedTotal)"])
            reportDrops()
            perform(violation: Violation(
                error: ErrorMessage(code: .rateLimited, message: "still over the rate limit after \(server.configuration.rateLimits.strikesBeforeClose) windows; \(rateLimiter.droppedTotal) messages dropped in all"),
                close: Close(code: .policyViolation, reason: "rate limit exceeded")
            ))
            return false
        }
    }

    /// At the end of a read batch: one Error for everything dropped in it.
    func reportDrops() {
        guard drops.count > 0 else { return }
        let limits = server.configuration.rateLimits
        var text = "rate limit (\(Int(limits.messagesPerSecond)) messages/s, \(Int(limits.bytesPerSecond)) bytes/s): dropped \(drops.count) message(s)"
        var reference = ErrorMessage.Reference.none
        if let first = drops.ranges.first {
            let shown = drops.ranges.prefix(8).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            text += "; reliable sequences " + shown.joined(separator: ",") + (drops.ranges.count > 8 ? ",…" : "")
            reference = .sequence(first.lowerBound)
        }
        channelError(.rateLimited, reference, text)
        drops = Drops()
    }
}
