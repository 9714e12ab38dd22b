/// Operations of a collaborative editor on 20 documents: people type (mostly one
/// character or one word at a time), delete, and occasionally format a range; each
/// operation has the document's next revision, the author and the author's operation
/// counter:
///
///     {"doc":"doc-7f3a","rev":1842,"op":"ins","pos":1234,"text":"the ","by":"u17","opId":"u17:5521"}
struct DocumentStream: Sendable {
    private struct Document: Sendable {
        let id: String
        var revision: Int
        var length: Int
        var cursor: Int
        var author: Int
    }

    private static let words = [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this",
        "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one", "all",
        "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "meeting",
        "project", "release", "server", "latency", "message", "customer", "design", "review", "draft", "update", "notes",
    ]

    private var random: SplitMix64
    private var documents: [Document] = []
    private var operationCounters = [Int](repeating: 0, count: 50)

    init(seed: UInt64) {
        random = SplitMix64(seed: seed &+ 2)
        for _ in 0..<20 {
            let hex = String(random.int(in: 0x1000...0xFFFF), radix: 16)
            let length = random.int(in: 200...20_000)
            documents.append(Document(id: "doc-" + hex, revision: random.int(in: 1...5_000), length: length,
                                      cursor: random.int(in: 0...length), author: random.int(in: 0...49)))
        }
    }

    mutating func next() -> DatasetMessage {
        let index = random.int(in: 0...(documents.count - 1))
        var document = documents[index]
        // Usually the same author keeps typing near the same place; sometimes another one jumps in.
        if random.chance(0.1) {
            document.author = random.int(in: 0...49)
            document.cursor = random.int(in: 0...document.length)
        }
        document.revision += 1
        operationCounters[document.author] += 1
        let author = "u\(document.author)"
        let header = "{\"doc\":\"\(document.id)\",\"rev\":\(document.revision),"
        let trailer = "\"by\":\"\(author)\",\"opId\":\"\(author):\(operationCounters[document.author])\"}"
        let roll = random.unit()
        let body: String
        if roll < 0.7 || document.length < 10 {
            let text: String
            if random.chance(0.6) {
                text = String(Character(Unicode.Scalar(UInt8(97 + random.int(in: 0...25)))))
            } else {
                text = random.pick(Self.words) + " "
            }
            body = "\"op\":\"ins\",\"pos\":\(document.cursor),\"text\":\"\(text)\","
            document.cursor += text.utf8.count
            document.length += text.utf8.count
        } else if roll < 0.93 {
            let count = min(random.pick([1, 1, 1, 2, 5, 12]), document.cursor)
            document.cursor -= count
            document.length -= count
            body = "\"op\":\"del\",\"pos\":\(document.cursor),\"len\":\(count),"
        } else {
            let start = random.int(in: 0...max(document.length - 1, 0))
            let count = random.int(in: 1...max(min(200, document.length - start), 1))
            body = "\"op\":\"fmt\",\"pos\":\(start),\"len\":\(count),\"attrs\":{\"\(random.pick(["bold", "italic", "link", "heading"]))\":true},"
        }
        documents[index] = document
        return DatasetMessage(key: document.id, bytes: Array((header + body + trailer).utf8))
    }
}
