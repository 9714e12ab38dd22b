import CourierAuth
import CourierClient
import CourierCompression
import Crypto
import CourierServer
import CourierWire
import NIOCore
import Testing

/// Compression and deltas through a real server (`docs/PROTOCOL.md` §20), watched on
/// the wire with raw WebSockets: the handshake agreement, COMPRESSED payloads passed
/// through or inflated per recipient, the bomb defence, server-made deltas and
/// snapshots.
@Suite("Compression through the server", .serialized)
struct CompressionIntegrationTests {
    static let dictionary = try! CompressionDictionary(id: 7, version: 1, bytes: Array(#"{"symbol":"AAPL","price":"#.utf8) + Array(repeating: UInt8(ascii: " "), count: 8))
    static let quote = #"{"symbol":"AAPL","price":101.25,"qty":7,"venue":"XNAS","note":"the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog"}"#

    static func server(maxMessageBytes: Int = 1 << 20) async throws -> TestServer {
        var compression = ServerCompression()
        compression.dictionaries = [dictionary]
        return try await TestServer.start(maxMessageBytes: maxMessageBytes, compression: compression)
    }

    static func offer(_ dictionaries: [CompressionOffer.DictionaryName] = [.init(id: 7, version: 1)], formats: DeltaFormats = .all) -> [HandshakeExtension] {
        [HandshakeExtension(id: CompressionOffer.extensionID, value: try! CompressionOffer(deltaFormats: formats, dictionaries: dictionaries).encoded())]
    }

    /// A raw connection, authenticated with `extensions`, subscribed to `topic` (if given).
    static func raw(_ server: TestServer, extensions: [HandshakeExtension], subscribe topic: String? = nil) async throws -> (RawWebSocket, HandshakeResponse) {
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        let response = try await socket.authenticateHMAC(extensions: extensions)
        if let topic {
            try await socket.send([CourierMessage(body: .subscribe(Subscribe(requestID: 1, pattern: topic)))])
            _ = try await socket.read { $0.messages.contains { $0.type == .subscribeResult } }
        }
        return (socket, response)
    }

    /// Closes clients and sockets, then stops the server, in that order: they run on the
    /// server's test event loop group, which `stop()` shuts down. (Two separate deferred
    /// tasks may run in either order; one task keeps the order.)
    static func cleanUp(_ server: TestServer, clients: [CourierClient] = [], sockets: [RawWebSocket] = []) async {
        for client in clients { await client.close() }
        for socket in sockets { await socket.close() }
        await server.stop()
    }

    static func data(_ transcript: Transcript) -> [CourierMessage] {
        transcript.messages.filter { $0.type.isData }
    }

    @Test func theServerAgreesToTheDictionariesBothSidesHoldAndTheDeltaFormatsBothKnow() async throws {
        let server = try await Self.server()
        let offered: [CompressionOffer.DictionaryName] = [.init(id: 7, version: 1), .init(id: 7, version: 2), .init(id: 9, version: 1)]
        let (socket, response) = try await Self.raw(server, extensions: Self.offer(offered, formats: .jsonField))
        let value = try #require(response.extensions.first { $0.id == CompressionOffer.extensionID }?.value)
        let agreed = try CompressionOffer(decoding: value)
        #expect(agreed.dictionaries == [.init(id: 7, version: 1)])
        #expect(agreed.deltaFormats == .jsonField)
        // No offer, no agreement.
        let (plain, plainResponse) = try await Self.raw(server, extensions: [])
        #expect(plainResponse.extensions.isEmpty)
        await Self.cleanUp(server, sockets: [socket, plain])
    }

    @Test func aMalformedCompressionOfferIsRefusedWith100And4000() async throws {
        let server = try await Self.server()
        let socket = try await RawWebSocket.connect(port: server.port, group: server.group)
        defer { Task { await Self.cleanUp(server, sockets: [socket]) } }
        let nonce = try await socket.challengeNonce()
        let mac = HMACProof.compute(key: SymmetricKey(data: TestServer.hmacSecret), nonce: nonce, keyID: TestServer.hmacKeyID)
        // One dictionary announced, none follows.
        let transcript = try await socket.handshake(
            .hmac(keyID: TestServer.hmacKeyID, mac: ByteBuffer(bytes: mac)),
            extensions: [HandshakeExtension(id: CompressionOffer.extensionID, value: ByteBuffer(bytes: [3, 1]))]
        )
        let closed = transcript.closed || transcript.closeFrameCode != nil ? transcript : try await socket.read { $0.closeFrameCode != nil }
        #expect(closed.errorCodes.contains(.malformedMessage) || transcript.errorCodes.contains(.malformedMessage))
        #expect((closed.closeFrameCode ?? transcript.closeFrameCode) == CloseCode.malformedMessage.rawValue)
        #expect(!transcript.messages.contains { $0.type == .handshakeResponse }, "no session for a malformed offer")
    }

    @Test func aCompressedPublishGoesAsItIsToAgreeingSubscribersAndInflatedToTheOthers() async throws {
        let server = try await Self.server()
        let (agreeing, _) = try await Self.raw(server, extensions: Self.offer(), subscribe: "prices/AAPL")
        let (plain, _) = try await Self.raw(server, extensions: [], subscribe: "prices/AAPL")
        let (publisher, _) = try await Self.raw(server, extensions: Self.offer())
        defer { Task { await Self.cleanUp(server, sockets: [agreeing, plain, publisher]) } }

        let compressed = try #require(try CompressedPayload.compress(ByteBuffer(string: Self.quote), dictionary: Self.dictionary, with: MessageCompressor()))
        #expect(compressed.readableBytes < Self.quote.utf8.count)
        try await publisher.send([CourierMessage(header: MessageHeader(flags: .compressed), body: .textData(DataMessage(route: .topic("prices/AAPL"), payload: compressed)))])

        let got = try #require(Self.data(try await agreeing.read { !Self.data($0).isEmpty }).first)
        #expect(got.header.flags.contains(.compressed))
        #expect(got.dataPayload == compressed)
        let gotPlain = try #require(Self.data(try await plain.read { !Self.data($0).isEmpty }).first)
        #expect(!gotPlain.header.flags.contains(.compressed))
        #expect(gotPlain.dataPayload == ByteBuffer(string: Self.quote))
    }

    @Test func aDecompressionBombIsRefusedWith103And1009WhileOthersKeepWorking() async throws {
        let server = try await Self.server(maxMessageBytes: 64 * 1_024)
        let (subscriber, _) = try await Self.raw(server, extensions: [], subscribe: "news")
        let (bomber, _) = try await Self.raw(server, extensions: Self.offer())
        let (publisher, _) = try await Self.raw(server, extensions: Self.offer())
        defer { Task { await Self.cleanUp(server, sockets: [subscriber, bomber, publisher]) } }

        // 10 MB of zeros deflate to about 10 KB: well inside the frame limit, 160 times the message limit once inflated.
        let bomb = try #require(try CompressedPayload.compress(ByteBuffer(repeating: 0, count: 10_000_000), dictionary: nil, with: MessageCompressor()))
        #expect(bomb.readableBytes < 64 * 1_024)
        try await bomber.send([CourierMessage(header: MessageHeader(flags: .compressed), body: .binaryData(DataMessage(route: .topic("news"), payload: bomb)))])
        let refused = try await bomber.read { $0.closeFrameCode != nil || $0.closed }
        #expect(refused.errorCodes == [.messageTooLarge])
        #expect(refused.closeMessage?.code == .messageTooBig)
        #expect(refused.closeFrameCode == CloseCode.messageTooBig.rawValue)

        // Nothing of the bomb reached the subscriber, and the server still routes for everyone else.
        try await publisher.send([CourierMessage(body: .textData(DataMessage(route: .topic("news"), payload: ByteBuffer(string: "still here"))))])
        let delivered = Self.data(try await subscriber.read { !Self.data($0).isEmpty })
        #expect(delivered.map(\.dataPayload) == [ByteBuffer(string: "still here")])
    }

    @Test(arguments: [
        ("a dictionary that was not agreed", UInt32(9), MessageFlags.compressed),
        ("COMPRESSED with ENCRYPTED", UInt32(7), MessageFlags([.compressed, .encrypted])),
    ])
    func aCompressedPayloadThatCannotBeInflatedIsRefusedWith105And1007(_ what: String, dictionaryID: UInt32, flags: MessageFlags) async throws {
        let server = try await Self.server()
        let (publisher, _) = try await Self.raw(server, extensions: Self.offer())
        defer { Task { await Self.cleanUp(server, sockets: [publisher]) } }
        let dictionary = try CompressionDictionary(id: dictionaryID, version: 1, bytes: Self.dictionary.bytes)
        let payload = try #require(try CompressedPayload.compress(ByteBuffer(string: Self.quote), dictionary: dictionary, with: MessageCompressor()))
        try await publisher.send([CourierMessage(header: MessageHeader(flags: flags), body: .binaryData(DataMessage(route: .topic("t"), payload: payload)))])
        let refused = try await publisher.read { $0.closeFrameCode != nil || $0.closed }
        #expect(refused.errorCodes == [.invalidCompressedPayload], "\(what)")
        #expect(refused.closeFrameCode == CloseCode.invalidPayload.rawValue, "\(what)")
    }

    @Test func theServerSendsDeltasToSubscribersThatHoldTheBaseAndAnswersSnapshotRequests() async throws {
        let server = try await Self.server()
        let (deltas, _) = try await Self.raw(server, extensions: Self.offer([]), subscribe: "prices/AAPL")
        let (full, _) = try await Self.raw(server, extensions: [], subscribe: "prices/AAPL")
        let (publisher, _) = try await Self.raw(server, extensions: [])
        defer { Task { await Self.cleanUp(server, sockets: [deltas, full, publisher]) } }

        let values = (0..<5).map { #"{"symbol":"AAPL","price":\#(101.25 + Double($0) / 4),"qty":\#(7 + $0),"venue":"XNAS"}"# }
        for value in values {
            try await publisher.send([CourierMessage(body: .deltaUpdate(DeltaUpdate(route: .topic("prices/AAPL"), key: "AAPL", version: 0, checksum: 0, payload: ByteBuffer(string: value))))])
        }
        func updates(_ socket: RawWebSocket) async throws -> [(flags: MessageFlags, update: DeltaUpdate)] {
            Self.data(try await socket.read { Self.data($0).count == values.count }).compactMap {
                if case .deltaUpdate(let update) = $0.body { return ($0.header.flags, update) } else { return nil }
            }
        }
        let withDeltas = try await updates(deltas)
        #expect(withDeltas.map { $0.flags.contains(.delta) } == [false, true, true, true, true])
        let first = withDeltas[0].update.version
        #expect(first != 0)
        #expect(withDeltas.map(\.update.version) == (0..<5).map { first + UInt32($0) })
        // Applying each delta to the previous value gives exactly what was published, checksum included.
        var value = withDeltas[0].update.payload
        for (index, item) in withDeltas.enumerated().dropFirst() {
            #expect(item.update.payload.readableBytes < values[index].utf8.count)
            value = try DeltaPayload.apply(item.update.payload, to: value, maxOutput: 1 << 20)
            #expect(value == ByteBuffer(string: values[index]))
            #expect(CRC32.checksum(value) == item.update.checksum)
        }
        // Without the extension: full values only.
        let plain = try await updates(full)
        #expect(plain.map { $0.flags.contains(.delta) } == Array(repeating: false, count: 5))
        #expect(plain.map(\.update.payload) == values.map { ByteBuffer(string: $0) })

        // A snapshot request gets the latest full value with its version; an unknown key gets 306.
        try await deltas.send([CourierMessage(body: .snapshotRequest(SnapshotRequest(requestID: 5, topic: "prices/AAPL", key: "AAPL")))])
        let snapshot = try #require(Self.data(try await deltas.read { !Self.data($0).isEmpty }).first)
        guard case .deltaUpdate(let latest) = snapshot.body else { throw TestFailure("expected a DeltaUpdate, got \(snapshot.type)") }
        #expect(!snapshot.header.flags.contains(.delta))
        #expect(latest.version == first + 4)
        #expect(latest.payload == ByteBuffer(string: values[4]))
        try await deltas.send([CourierMessage(body: .snapshotRequest(SnapshotRequest(requestID: 6, topic: "prices/AAPL", key: "MSFT")))])
        let unknown = try await deltas.read { !$0.errorCodes.isEmpty }
        #expect(unknown.errorCodes == [.snapshotUnavailable])
    }

    @Test func theClientLibraryCompressesInflatesAndUndoesDeltasSoTheApplicationSeesPlainFullValues() async throws {
        let server = try await Self.server()
        func client(_ user: String, baseBytes: Int = 8 << 20) async throws -> CourierClient {
            var configuration = CourierClient.Configuration(host: "127.0.0.1", port: server.port, authentication: .jwt(token: try await server.token(user: user)))
            configuration.compression = .init(dictionaries: [Self.dictionary], compressAtLeast: 32, deltaBaseBytes: baseBytes)
            let client = CourierClient(configuration: configuration, eventLoopGroup: server.group)
            try await client.connect()
            return client
        }
        let subscriber = try await client("sub")
        // This one keeps no bases: every delta it gets asks for a snapshot instead.
        let forgetful = try await client("forgetful", baseBytes: 0)
        let publisher = try await client("pub")
        defer { Task { await Self.cleanUp(server, clients: [subscriber, forgetful, publisher]) } }
        _ = try await subscriber.subscribe("prices.>")
        _ = try await forgetful.subscribe("prices.AAPL")

        try await publisher.sendAcknowledged(Self.quote, to: .topic("prices.text"))
        let values = (0..<6).map { #"{"symbol":"AAPL","price":\#(200 + $0),"qty":\#(3 * $0)}"# }
        for value in values {
            try await publisher.publishValue(value, key: "AAPL", to: .topic("prices.AAPL"))
        }
        var received: [String] = []
        for try await message in subscriber.messages {
            received.append(String(buffer: message.payload))
            #expect(message.flags.isDisjoint(with: [.compressed, .delta]))
            if received.count == 1 + values.count { break }
        }
        #expect(received == [Self.quote] + values)

        // The forgetful subscriber still ends with the latest value, through snapshots.
        var last = ""
        for try await message in forgetful.messages {
            last = String(buffer: message.payload)
            if last == values.last { break }
        }
        #expect(last == values.last)
        #expect(await forgetful.snapshotsRequested() > 0)
        #expect(await subscriber.snapshotsRequested() == 0)
    }
}
