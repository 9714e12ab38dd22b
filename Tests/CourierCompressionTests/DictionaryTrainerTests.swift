import CourierCompression
import CourierDatasets
import Testing

@Suite("Dictionary trainer")
struct DictionaryTrainerTests {
    @Test func isDeterministicBoundedAndMakesDeflateSmaller() throws {
        let messages = DatasetKind.sensor.generate(count: 2_000)
        let samples = messages.prefix(1_000).map(\.bytes)
        let trainer = DictionaryTrainer(dictionarySize: 4_096)
        let first = trainer.train(samples: samples)
        let second = trainer.train(samples: samples)
        #expect(first == second)
        #expect(first.count <= 4_096 && first.count > 1_000)

        let dictionary = try CompressionDictionary(id: 1, version: 1, bytes: first)
        let compressor = try MessageCompressor()
        var plain = 0
        var trained = 0
        for message in messages.suffix(500) {
            plain += try compressor.compress(message.bytes)?.count ?? message.bytes.count
            trained += try compressor.compress(message.bytes, dictionary: dictionary)?.count ?? message.bytes.count
        }
        #expect(trained * 10 < plain * 6, "trained \(trained) vs plain \(plain)")
    }

    @Test func smallOrEmptyInputs() {
        let trainer = DictionaryTrainer(dictionarySize: 1_024)
        #expect(trainer.train(samples: []).isEmpty)
        #expect(trainer.train(samples: [[1, 2, 3]]).isEmpty)
        #expect(DictionaryTrainer(dictionarySize: 0).train(samples: [Array("some sample text".utf8)]).isEmpty)
    }
}
