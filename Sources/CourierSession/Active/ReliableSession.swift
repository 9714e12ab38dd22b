/// The reliable-delivery state of a session: both directions. It outlives any one
/// connection; a resumed connection picks it up where the last one left it.
public struct ReliableSession: Sendable {
    public var outbound: OutboundReliability
    public var inbound: InboundReliability

    public init(limits: OutboundReliability.Limits = .init()) {
        self.outbound = OutboundReliability(limits: limits)
        self.inbound = InboundReliability()
    }
}
