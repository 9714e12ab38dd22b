@testable import CourierServer
import CourierCompression
import CourierWire
import NIOCore
import Testing

/// The server's delta state (PROTOCOL §20.3): versions per key, bounded memory, and
/// the per-connection choice between delta, compressed and plain.
@Suite("Delta store and per-recipient forms")
struct DeltaStoreTests {
    static func value(_ price: Int) -> ByteBuffer { ByteBuffer(string: #"{"symbol":"AAPL","price":\#(price).25,"qty":7}"#) }

    @Test func eachValueOfAKeyGetsTheNextVersionAndTheDeltaFromThePreviousOne() throws {
        var store = DeltaStore(limits: ServerCompression())
        let first = store.record(topic: "t", key: "k", value: Self.value(100), checksum: 1)
        #expect(first.version != 0)
        #expect(first.delta == nil)
        let second = store.record(topic: "t", key: "k", value: Self.value(101), checksum: 2)
        #expect(second.version == first.version + 1)
        let delta = try #require(second.delta)
        #expect(try DeltaPayload.apply(delta, to: Self.value(100), maxOutput: 1_024) == Self.value(101))
        #expect(store.latest(topic: "t", key: "k")?.version == second.version)
        #expect(store.latest(topic: "t", key: "k")?.checksum == 2)
        #expect(store.latest(topic: "other", key: "k") == nil)
    }

    @Test func aForgottenKeyComesBackWithAVersionItNeverHad() {
        var limits = ServerCompression()
        limits.deltaKeysPerTopic = 1
        var store = DeltaStore(limits: limits)
        var seen: [UInt32] = []
        for _ in 0..<3 { seen.append(store.record(topic: "t", key: "a", value: Self.value(1), checksum: 0).version) }
        _ = store.record(topic: "t", key: "b", value: Self.value(2), checksum: 0)  // evicts a
        #expect(store.latest(topic: "t", key: "a") == nil)
        let back = store.record(topic: "t", key: "a", value: Self.value(3), checksum: 0)
        #expect(back.delta == nil)
        #expect(back.version > seen.max()!)
    }

    @Test func valuesAndTotalsOverTheLimitsGoUnversioned() {
        var limits = ServerCompression()
        limits.deltaValueBytes = 16
        limits.deltaTotalBytes = 200
        var store = DeltaStore(limits: limits)
        #expect(store.record(topic: "t", key: "big", value: ByteBuffer(repeating: 1, count: 17), checksum: 0).version == 0)
        #expect(store.record(topic: "a", key: "k", value: ByteBuffer(repeating: 1, count: 16), checksum: 0).version != 0)
        #expect(store.record(topic: "b", key: "k", value: ByteBuffer(repeating: 1, count: 16), checksum: 0).version != 0)
        // A third topic does not fit in 200 bytes, and may not evict other topics' keys.
        #expect(store.record(topic: "c", key: "k", value: ByteBuffer(repeating: 1, count: 16), checksum: 0).version == 0)
        #expect(store.totalBytes <= 200)
        #expect(store.unversioned == 2)
    }

    static func publication(version: UInt32, delta: ByteBuffer?, compressed: CompressedForm? = nil) -> OutboundPublication {
        let update = DeltaUpdate(route: .topic("t"), key: "k", version: version, checksum: 0, payload: Self.value(Int(version)))
        return OutboundPublication(
            message: CourierMessage(body: .deltaUpdate(update)), topic: "t", reliable: false, bytes: 40, policy: .keepLatest,
            compressed: compressed, delta: delta
        )
    }

    @Test func aRecipientGetsADeltaOnlyWhenItWasLastSentTheBaseOnThisConnection() {
        let delta = ByteBuffer(bytes: [2, 1, 0])  // a JSON field delta payload (format 2)
        var connection = ConnectionCompression(agreement: CompressionOffer(deltaFormats: .all), maxKeys: 10)
        guard case .plain = connection.form(for: Self.publication(version: 5, delta: delta)) else { Issue.record("first value must go whole"); return }
        guard case .delta = connection.form(for: Self.publication(version: 6, delta: delta)) else { Issue.record("6 follows 5: a delta"); return }
        // keepLatest replaced 7 in the queue: 8 must go whole.
        guard case .plain = connection.form(for: Self.publication(version: 8, delta: delta)) else { Issue.record("8 after 6 must go whole"); return }
        // A recipient that agreed only to Fossil never gets a JSON field delta.
        var fossilOnly = ConnectionCompression(agreement: CompressionOffer(deltaFormats: .fossil), maxKeys: 10)
        _ = fossilOnly.form(for: Self.publication(version: 5, delta: delta))
        guard case .plain = fossilOnly.form(for: Self.publication(version: 6, delta: delta)) else { Issue.record("format not agreed"); return }
    }

    @Test func theCompressedFormGoesOnlyToRecipientsThatAgreedToItsDictionary() throws {
        let form = CompressedForm(dictionaryID: 7, payload: ByteBuffer(bytes: [7, 1, 2]))
        var agreeing = ConnectionCompression(agreement: CompressionOffer(dictionaries: [.init(id: 7, version: 1)]), maxKeys: 0)
        var other = ConnectionCompression(agreement: CompressionOffer(dictionaries: [.init(id: 8, version: 1)]), maxKeys: 0)
        let publication = Self.publication(version: 0, delta: nil, compressed: form)
        guard case .compressed(let payload) = agreeing.form(for: publication) else { Issue.record("agreed: compressed"); return }
        #expect(payload == form.payload)
        guard case .plain = other.form(for: publication) else { Issue.record("not agreed: plain"); return }
    }
}
