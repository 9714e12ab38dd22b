import CourierSession
import CourierWire
import NIOCore

/// Deterministic randomness for backoff tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func at(_ milliseconds: Int64) -> SessionInstant {
    SessionInstant(nanoseconds: UInt64(1_000_000_000 + milliseconds * 1_000_000))
}

func data(_ text: String, sequence: UInt32? = nil, reliable: Bool = true) -> CourierMessage {
    CourierMessage(
        header: MessageHeader(flags: reliable ? .ackRequested : [], sequence: sequence),
        body: .binaryData(DataMessage(route: .topic("t"), payload: ByteBuffer(string: text)))
    )
}

func handshake(resume: Handshake.Resume? = nil, versions: ClosedRange<UInt8> = 1...2) -> CourierMessage {
    CourierMessage(body: .handshake(Handshake(minVersion: versions.lowerBound, maxVersion: versions.upperBound, auth: .jwt(token: "t"), resume: resume)))
}

func response(_ status: HandshakeResponse.ResumeStatus = .new, heartbeatMillis: UInt32 = 1_000) -> HandshakeResponse {
    HandshakeResponse(
        version: 2, sessionID: 7, resumeToken: ByteBuffer(bytes: [1, 2, 3]), heartbeatMillis: heartbeatMillis,
        creditMessages: 100, creditBytes: 1 << 20, maxMessageBytes: 1 << 20, resume: status
    )
}

extension CourierMessage {
    var payloadText: String? {
        switch body {
        case .binaryData(let d), .textData(let d): return String(buffer: d.payload)
        default: return nil
        }
    }
}
