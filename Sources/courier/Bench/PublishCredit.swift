import CourierWire

/// The client → server credit of one connection (`docs/PROTOCOL.md` §16.3), as a
/// load generator keeps it: spent per data message (1 message + its payload bytes),
/// added by `WindowUpdate(channel 0)`, so never more than
/// `initial + Σ WindowUpdate − spent`: the server's own account.
///
/// Servers that predate §16.3 never send a WindowUpdate. The only way to tell is that
/// none has come although the whole initial credit was spent and every message
/// acknowledged for a while (a §16.3 server returns credit by then, or its client would
/// wait forever; `PipelinedPublisher.checkStarvation`). From then on
/// (`assumeAcknowledgementCredit`) the initial credit is
/// treated as a window that acknowledgements replenish: in flight = sent −
/// acknowledged ≤ the window. A WindowUpdate arriving later still switches back to
/// the exact account.
struct PublishCredit: Hashable {
    enum Source: String, Hashable {
        /// Only the HandshakeResponse credit so far.
        case handshake
        /// WindowUpdates return credit.
        case windowUpdates = "window_updates"
        /// No WindowUpdate ever came: acknowledged messages return their credit.
        case acknowledgements
    }

    let initialMessages: Int
    let initialBytes: Int
    private(set) var spentMessages = 0
    private(set) var spentBytes = 0
    private(set) var grantedMessages = 0
    private(set) var grantedBytes = 0
    private(set) var acknowledgedMessages = 0
    private(set) var acknowledgedBytes = 0
    /// WindowUpdates for the connection (channel 0) received so far.
    private(set) var windowUpdates = 0
    private(set) var source = Source.handshake

    init(messages: UInt32, bytes: UInt32) {
        initialMessages = Int(messages)
        initialBytes = Int(bytes)
    }

    /// Credit left. Negative only after a late first WindowUpdate replaced the
    /// acknowledgement account; then the sender waits.
    var messages: Int { initialMessages.saturatingAdd(returned(grantedMessages, acknowledgedMessages)) - spentMessages }
    var bytes: Int { initialBytes.saturatingAdd(returned(grantedBytes, acknowledgedBytes)) - spentBytes }

    private func returned(_ granted: Int, _ acknowledged: Int) -> Int {
        switch source {
        case .handshake: return 0
        case .windowUpdates: return granted
        case .acknowledgements: return acknowledged
        }
    }

    /// How many messages of `payload` bytes each fit the credit now, at most `limit`.
    func affordable(upTo limit: Int, payload: Int) -> Int {
        let byBytes = payload > 0 ? bytes / payload : limit
        return max(0, min(limit, messages, byBytes))
    }

    /// Sending spends credit. The caller checked `affordable` first.
    mutating func spend(messages count: Int, payload: Int) {
        spentMessages += count
        spentBytes += count * payload
    }

    /// A WindowUpdate from the server. A non-zero channel is reserved: ignored.
    mutating func received(_ update: WindowUpdate) {
        guard update.channel == 0 else { return }
        windowUpdates += 1
        source = .windowUpdates
        grantedMessages = grantedMessages.saturatingAdd(Int(update.messages))
        grantedBytes = grantedBytes.saturatingAdd(Int(update.bytes))
    }

    /// Messages newly acknowledged by the server (counted always; credit only for a
    /// server without WindowUpdates).
    mutating func acknowledged(messages count: Int, payload: Int) {
        acknowledgedMessages += count
        acknowledgedBytes += count * payload
    }

    /// The initial credit is spent, everything is acknowledged, and no WindowUpdate
    /// came: the server predates §16.3. Acknowledgements return credit from now on.
    mutating func assumeAcknowledgementCredit() {
        if source == .handshake { source = .acknowledgements }
    }
}

extension Int {
    /// `self + other`, or `Int.max` where that would overflow (a peer's increments
    /// must not trap the process).
    func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
