import CourierSession
import CourierWire
import Logging
import NIOCore

// Credit flow control (§16.3), both directions, for one connection.
//
// * Client → server: the HandshakeResponse's credit is the batcher's `SendCredit`;
//   the server's WindowUpdates add to it. `send` refuses data the credit does not
//   cover (`.noCredit`: the core keeps it waiting, in order) and the batcher holds
//   replayed data that does not fit.
// * Server → client: when `Settings.flowControl` is set, a `ReceiveWindow` starts at
//   every handshake with its initial grant; data from the server spends it, and
//   credit comes back as the application consumes messages (`applicationConsumed`)
//   or at once for data that never reaches it (duplicates). Heartbeat round trips
//   adapt the window.
extension CourierConnectionHandler {
    /// Called when the handshake completes (new, resumed or failed resume): the credit
    /// to send with, and server → client flow control turned on.
    func startFlowControl(_ response: HandshakeResponse) {
        let released = batcher.setCredit(SendCredit(messages: Int64(response.creditMessages), bytes: Int64(response.creditBytes)))
        if released > 0 { scheduleFlush() }
        guard let limits = settings.flowControl else { return }
        // The configuration's initializer checks the limits, but its fields are mutable:
        // refuse bad ones here with a log line rather than trap.
        guard limits.isValid else {
            logger.error("flow control off: invalid flowControl limits (need 0 < min ≤ initial ≤ max ≤ \(ReceiveWindow.Limits.largestWindow))")
            return
        }
        // A byte window below the largest message that can arrive would stall it for
        // good: one larger than the server accepts, or than this client decodes, cannot.
        let largest = min(Int(response.maxMessageBytes), settings.wireLimits.maxMessageBytes)
        let window = ReceiveWindow(limits: limits.accommodating(messageBytes: largest))
        receiveWindow = window
        enqueue(CourierMessage(body: .windowUpdate(window.initialGrant)))
        logger.debug("flow control on", metadata: ["window": "\(window.window.messages) messages, \(window.window.bytes) bytes"])
    }

    /// A WindowUpdate from the server: more send credit. Held data that now fits goes
    /// out; the owner learns that waiting sends may fit.
    func granted(_ update: WindowUpdate) {
        guard update.channel == 0 else { return }
        if batcher.grant(update) > 0 { scheduleFlush() }
        delegate?.connection(id, .creditGranted)
    }

    /// Counts an arriving data message against the receive window. Returns its payload
    /// bytes when it was counted (flow control is on and it is a data message).
    func charge(_ message: CourierMessage) -> Int? {
        guard receiveWindow != nil, let payload = message.dataPayload else { return nil }
        let bytes = payload.readableBytes
        if receiveWindow?.received(bytes: bytes) == .exceeded {
            // Not a violation this side can prove: the server may have sent it before our
            // first WindowUpdate reached it, when it still sent without credit.
            logger.debug("the server sent beyond the credit granted", metadata: ["bytes": "\(bytes)"])
        }
        return bytes
    }

    /// The application took `messages` messages (`bytes` of payload) of this
    /// connection: their credit goes back to the server when that is worth a message.
    func applicationConsumed(messages: Int, bytes: Int) {
        guard ending == nil, receiveWindow != nil else { return }
        receiveWindow?.consumed(messages: messages, bytes: bytes)
        if let update = receiveWindow?.takeUpdate() {
            enqueue(CourierMessage(body: .windowUpdate(update)))
        }
    }

    /// Whether data sent now needs to wait for credit.
    func needsCredit(_ message: CourierMessage) -> Bool {
        OutboundBatcher.isData(message.type) && !batcher.canSendData(bytes: OutboundBatcher.creditBytes(message))
    }
}

extension ClientConnectionStateMachine.ReceiveAction {
    /// The message goes on to the application.
    var delivers: Bool {
        if case .deliver = self { return true }
        return false
    }
}
