import CourierDatasets
import Foundation
import Testing

@Suite("Generated datasets")
struct DatasetTests {
    @Test(arguments: DatasetKind.allCases)
    func sameSeedSameBytesOtherSeedOtherBytes(kind: DatasetKind) throws {
        let first = kind.generate(count: 500, seed: 7)
        #expect(first == kind.generate(count: 500, seed: 7))
        #expect(first != kind.generate(count: 500, seed: 8))
        #expect(kind.generate(count: 10) == kind.generate(count: 10, seed: DatasetGenerator.defaultSeed))
        // Every message is a JSON object, no newline inside, keys repeat (delta has a base to work from).
        for message in first {
            let object = try JSONSerialization.jsonObject(with: Data(message.bytes)) as? [String: Any]
            #expect(object != nil)
            #expect(!message.bytes.contains(UInt8(ascii: "\n")))
        }
        let longer = kind.generate(count: 4_000, seed: 7)
        #expect(Set(longer.map(\.key)).count < longer.count / 4)
    }

    @Test func tickerMessagesChangeOnlyWhatATickChanges() {
        // Consecutive values of one symbol differ in a few fields, not all of them.
        let messages = DatasetKind.ticker.generate(count: 2_000)
        var last: [String: [Substring]] = [:]
        var changedFields = 0
        var pairs = 0
        for message in messages {
            let fields = message.text.split(separator: ",")
            if let previous = last[message.key] {
                changedFields += zip(previous, fields).filter { $0 != $1 }.count
                pairs += 1
            }
            last[message.key] = fields
        }
        #expect(pairs > 1_000)
        #expect(Double(changedFields) / Double(pairs) < 4)
    }
}
