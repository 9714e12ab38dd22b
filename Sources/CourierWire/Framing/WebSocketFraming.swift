/// WebSocket framing arithmetic (RFC 6455 §5.2), for overhead accounting: Courier
/// messages travel inside binary frames whose header costs 2 to 14 bytes.
public enum WebSocketFraming {
    /// Header bytes of one unfragmented frame carrying `payloadLength` bytes; client
    /// frames (`masked`) add a 4-byte masking key.
    public static func headerSize(payloadLength: Int, masked: Bool) -> Int {
        let base: Int
        switch payloadLength {
        case ..<126: base = 2
        case ..<65_536: base = 4
        default: base = 10
        }
        return base + (masked ? 4 : 0)
    }
}
