import CourierWire
import NIOCore

/// One message of every type and shape, for round-trip and batching tests.
enum MessageSamples {
    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static let bodies: [MessageBody] = [
        .challenge(Challenge(nonce: buffer(Array(0..<32)), minVersion: 1, maxVersion: 2, authMethods: .all, deadlineMillis: 10_000)),
        .handshake(Handshake(minVersion: 1, maxVersion: 2, auth: .hmac(keyID: "app-1", mac: buffer(Array(repeating: 0xAB, count: 32))))),
        .handshake(Handshake(
            minVersion: 2, maxVersion: 2, auth: .jwt(token: "eyJhbGciOiJIUzI1NiJ9.e30.sig"),
            resume: .init(sessionID: 0xDEAD_BEEF_0000_0001, token: buffer(Array(repeating: 7, count: 40)), lastReceived: 41),
            extensions: [HandshakeExtension(id: 9, value: buffer("x"))]
        )),
        .handshakeResponse(HandshakeResponse(
            version: 2, sessionID: 42, resumeToken: buffer(Array(repeating: 1, count: 48)), heartbeatMillis: 15_000,
            creditMessages: 1_024, creditBytes: 1 << 20, maxMessageBytes: 1 << 20, resume: .resumed(lastReceived: UInt32.max)
        )),
        .handshakeResponse(HandshakeResponse(
            version: 1, sessionID: .max, resumeToken: buffer([]), heartbeatMillis: 0,
            creditMessages: 0, creditBytes: 0, maxMessageBytes: 1, resume: .failed(.bufferOverflowed)
        )),
        .heartbeat(Heartbeat(kind: .ping, value: 1_234_567_890_123)),
        .heartbeat(Heartbeat(kind: .pong, value: .max)),
        .close(Close(code: .serviceRestart, retryAfterMillis: 500, retryJitterMillis: 5_000, reason: "restarting")),
        .error(ErrorMessage(code: .subscribeDenied, reference: .request(7), message: "not allowed: prices.*")),
        .error(ErrorMessage(code: .malformedMessage, message: "")),
        .windowUpdate(WindowUpdate(channel: 3, messages: 64, bytes: 65_536)),
        .textData(DataMessage(route: .channel(5), payload: buffer("héllo wörld"))),
        .textData(DataMessage(route: .bind(alias: 300, topic: "chat/room-1/ünïcode"), payload: buffer(""))),
        .binaryData(DataMessage(route: .topic("sensors/a"), payload: buffer([0, 1, 2, 255]))),
        .binaryData(DataMessage(route: .session(99), payload: buffer(Array(repeating: 0x55, count: 300)))),
        .binaryData(DataMessage(route: .user("alice"), payload: buffer([9]))),
        .deltaUpdate(DeltaUpdate(route: .channel(1), key: "doc:1", version: 0, checksum: 0xCAFE_BABE, payload: buffer("full"))),
        .subscribe(Subscribe(requestID: 1, pattern: "prices.*")),
        .subscribe(Subscribe(requestID: UInt32.max, pattern: "a.>", recover: .init(epoch: 77, offset: 1 << 40))),
        .unsubscribe(Unsubscribe(requestID: 2, channel: 5)),
        .acknowledge(Acknowledge(sequence: 1_000_000)),
        .subscribeResult(SubscribeResult(requestID: 1, channel: 5, epoch: 3, offset: 10, recovery: .recovered)),
        .snapshotRequest(SnapshotRequest(requestID: 4, topic: "prices/AAPL", key: "AAPL")),
    ]

    /// Header fields that are valid for `body` in `version`.
    static func header(for body: MessageBody, version: ProtocolVersion, variant: Int) -> MessageHeader {
        var header = MessageHeader()
        if version == .v1 || variant % 2 == 0 { header.sessionID = UInt64(variant) * 0x1_0000_0001 }
        if version == .v1 || variant % 3 == 0 { header.timestamp = 1_700_000_000_000_000 + UInt64(variant) }
        if body.type.isData {
            header.flags.insert(.ackRequested)
            if version == .v1 || variant % 2 == 1 { header.sequence = UInt32(variant + 1) }
            if variant % 4 == 1 { header.flags.insert(.compressed) }
        }
        return header
    }

    static func messages(version: ProtocolVersion) -> [CourierMessage] {
        bodies.enumerated().map { index, body in
            CourierMessage(header: header(for: body, version: version, variant: index), body: body)
        }
    }
}
