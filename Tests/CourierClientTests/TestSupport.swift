@testable import CourierClient
import CourierSession
import CourierWire
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket

/// Records what a connection handler reports.
final class RecordingDelegate: ConnectionHandlerDelegate {
    var events: [ConnectionHandlerEvent] = []

    func connection(_ id: Int, _ event: ConnectionHandlerEvent) { events.append(event) }

    var established: [HandshakeResponse] {
        events.compactMap { if case .established(let r) = $0 { return r } else { return nil } }
    }

    var received: [CourierMessage] {
        events.compactMap { if case .received(let m) = $0 { return m } else { return nil } }
    }

    var acknowledged: [UInt32] {
        events.compactMap { if case .acknowledged(let s) = $0 { return s } else { return nil } }
    }

    var end: ConnectionEnd? {
        for event in events { if case .ended(let end) = event { return end } }
        return nil
    }
}

/// Counts `read` calls that reach the head of the pipeline.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// A connection handler on an `EmbeddedChannel`, playing the server by hand.
struct Harness {
    static let nonce: [UInt8] = Array(0..<32)
    static let secret: [UInt8] = Array(repeating: 0x5A, count: 32)
    static let sessionID: UInt64 = 0x1122_3344

    let channel: EmbeddedChannel
    let handler: CourierConnectionHandler
    let delegate: RecordingDelegate
    let reads: ReadCounter
    let version: ProtocolVersion

    init(
        version: ProtocolVersion = .v2,
        authentication: CourierClient.Authentication = .hmac(keyID: "device-42", secret: Harness.secret),
        handshakeTimeout: Duration = .seconds(10),
        resuming session: ReliableSession? = nil,
        ticket: ClientConnectionStateMachine.Ticket? = nil,
        maxMessagesPerFrame: Int = 1_024,
        flowControl: ReceiveWindow.Limits? = nil
    ) throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let delegate = RecordingDelegate()
        let settings = CourierConnectionHandler.Settings(
            version: version, authentication: authentication, handshakeTimeout: handshakeTimeout,
            replayLimits: .init(), wireLimits: WireLimits(maxMessagesPerFrame: maxMessagesPerFrame),
            flowControl: flowControl
        )
        let handler = CourierConnectionHandler(
            id: 1, settings: settings, resuming: session, ticket: ticket, now: loop.now,
            delegate: delegate, logger: Logger(label: "test")
        )
        let reads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        self.channel = channel
        self.handler = handler
        self.delegate = delegate
        self.reads = reads
        self.version = version
    }

    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    /// One binary frame from the server carrying `messages`, as one read batch.
    func receive(_ messages: [CourierMessage]) throws {
        var buffer = ByteBuffer()
        try MessageEncoder(version: version).encodeBatch(messages, into: &buffer)
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .binary, data: buffer))
    }

    func receive(_ message: CourierMessage) throws { try receive([message]) }

    /// Several frames in one read batch (one `channelReadComplete`).
    func receiveBatch(_ frames: [[CourierMessage]]) throws {
        for messages in frames {
            var buffer = ByteBuffer()
            try MessageEncoder(version: version).encodeBatch(messages, into: &buffer)
            channel.pipeline.fireChannelRead(WebSocketFrame(fin: true, opcode: .binary, data: buffer))
        }
        channel.pipeline.fireChannelReadComplete()
    }

    /// The frames written so far.
    func written() throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    /// Decodes a binary frame the client wrote (implicit sequences stay nil).
    func decode(_ frame: WebSocketFrame) throws -> [CourierMessage] {
        try FrameReader.decodeAll(frame.data, decoder: MessageDecoder(version: version)).map(\.message)
    }

    /// Every message written so far, frame by frame.
    func writtenMessages() throws -> [[CourierMessage]] {
        try written().filter { $0.opcode == .binary }.map(decode)
    }

    static func challenge(methods: Challenge.AuthMethods = .all) -> CourierMessage {
        CourierMessage(body: .challenge(Challenge(
            nonce: ByteBuffer(bytes: nonce), minVersion: 1, maxVersion: 2, authMethods: methods, deadlineMillis: 10_000
        )))
    }

    static func response(
        version: ProtocolVersion = .v2, heartbeatMillis: UInt32 = 0, resume: HandshakeResponse.ResumeStatus = .new,
        credit: (messages: UInt32, bytes: UInt32) = (1_000, 1 << 20), maxMessageBytes: UInt32 = 1 << 20
    ) -> CourierMessage {
        CourierMessage(body: .handshakeResponse(HandshakeResponse(
            version: version.rawValue, sessionID: sessionID, resumeToken: ByteBuffer(bytes: [9, 9, 9]), heartbeatMillis: heartbeatMillis,
            creditMessages: credit.messages, creditBytes: credit.bytes, maxMessageBytes: maxMessageBytes, resume: resume
        )))
    }

    /// Challenge → Handshake → HandshakeResponse; discards what was written.
    func establish(
        heartbeatMillis: UInt32 = 0, resume: HandshakeResponse.ResumeStatus = .new,
        credit: (messages: UInt32, bytes: UInt32) = (1_000, 1 << 20), maxMessageBytes: UInt32 = 1 << 20
    ) throws {
        try receive(Self.challenge())
        _ = try written()
        try receive(Self.response(version: version, heartbeatMillis: heartbeatMillis, resume: resume, credit: credit, maxMessageBytes: maxMessageBytes))
        _ = try written()
    }

    static func data(_ text: String, sequence: UInt32? = nil, route: Route = .topic("news")) -> CourierMessage {
        let flags: MessageFlags = sequence == nil ? [] : [.ackRequested]
        return CourierMessage(
            header: MessageHeader(flags: flags, sequence: sequence),
            body: .textData(DataMessage(route: route, payload: ByteBuffer(string: text)))
        )
    }
}

extension WebSocketFrame {
    /// The close code of a close frame the client wrote (`data` is the clear payload:
    /// the frame encoder applies the mask).
    var closeCode: UInt16? {
        var data = self.data
        return opcode == .connectionClose ? data.readInteger(as: UInt16.self) : nil
    }
}
