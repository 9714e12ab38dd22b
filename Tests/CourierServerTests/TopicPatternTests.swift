@testable import CourierServer
import Testing

/// Topic and pattern syntax and matching (`docs/PROTOCOL.md` §15): the table there,
/// and the edges around it.
@Suite("Topic patterns")
struct TopicPatternTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var pattern: String
        var topic: String
        var matches: Bool
        var testDescription: String { "\(pattern) \(matches ? "matches" : "does not match") \(topic)" }
    }

    static let table: [Row] = [
        // The table of §15.
        Row(pattern: "prices.eu.AAPL", topic: "prices.eu.AAPL", matches: true),
        Row(pattern: "prices.eu.AAPL", topic: "prices.eu", matches: false),
        Row(pattern: "prices.eu.AAPL", topic: "prices.eu.AAPL.x", matches: false),
        Row(pattern: "prices.*.AAPL", topic: "prices.eu.AAPL", matches: true),
        Row(pattern: "prices.*.AAPL", topic: "prices.us.AAPL", matches: true),
        Row(pattern: "prices.*.AAPL", topic: "prices.AAPL", matches: false),
        Row(pattern: "prices.*.AAPL", topic: "prices.eu.x.AAPL", matches: false),
        Row(pattern: "prices.>", topic: "prices.eu", matches: true),
        Row(pattern: "prices.>", topic: "prices.eu.AAPL", matches: true),
        Row(pattern: "prices.>", topic: "prices", matches: false),
        Row(pattern: ">", topic: "anything", matches: true),
        Row(pattern: ">", topic: "a.b.c", matches: true),
        // Edges.
        Row(pattern: "*", topic: "a", matches: true),
        Row(pattern: "*", topic: "a.b", matches: false),
        Row(pattern: "*.*", topic: "a.b", matches: true),
        Row(pattern: "a.*.>", topic: "a.b", matches: false),
        Row(pattern: "a.*.>", topic: "a.b.c.d", matches: true),
        Row(pattern: "a.b", topic: "a.bc", matches: false),
        Row(pattern: "a.bc", topic: "a.b", matches: false),
        Row(pattern: "ab", topic: "a", matches: false),
        Row(pattern: "prices.é.x", topic: "prices.é.x", matches: true),
        Row(pattern: "prices.e\u{301}.x", topic: "prices.é.x", matches: false),  // bytes, not canonical equivalence
    ]

    @Test(arguments: table)
    func matching(_ row: Row) throws {
        let pattern = try TopicPattern(row.pattern)
        try TopicPattern.validateTopic(row.topic)
        #expect(pattern.matches(row.topic) == row.matches)
    }

    @Test func invalidTopicsAndPatternsSayWhy() {
        func topicError(_ text: String) -> TopicPattern.Invalid? {
            do { try TopicPattern.validateTopic(text); return nil } catch { return error }
        }
        func patternError(_ text: String) -> TopicPattern.Invalid? {
            do { _ = try TopicPattern(text); return nil } catch { return error }
        }
        #expect(topicError("") == .empty)
        #expect(topicError(String(repeating: "a", count: 257)) == .tooLong(257))
        #expect(topicError(String(repeating: "a", count: 256)) == nil)
        #expect(topicError("a..b") == .emptyToken)
        #expect(topicError(".a") == .emptyToken)
        #expect(topicError("a.") == .emptyToken)
        #expect(topicError("a b") == .forbiddenCharacter(" "))
        #expect(topicError("a\tb") == .forbiddenCharacter("\t"))
        #expect(topicError("a\u{7F}") == .forbiddenCharacter("\u{7F}"))
        #expect(topicError("a\u{85}") == .forbiddenCharacter("\u{85}"))
        #expect(topicError("a\u{2003}b") == .forbiddenCharacter("\u{2003}"))
        #expect(topicError("a.*") == .wildcardInTopic)
        #expect(topicError("a.>") == .wildcardInTopic)
        #expect(topicError("prix.été") == nil)
        #expect(patternError("a.>.b") == .restNotLast)
        #expect(patternError("pri*") == .partialWildcard("pri*"))
        #expect(patternError("a.b>") == .partialWildcard("b>"))
        #expect(patternError("a.*.>") == nil)
    }

    @Test func coverageDecidesSubscribePermissions() throws {
        func covered(_ pattern: String, by permission: String) throws -> Bool {
            try TopicPattern(pattern).isCovered(by: TopicPattern(permission))
        }
        #expect(try covered("chat.room1", by: "chat.>"))
        #expect(try covered("chat.*", by: "chat.>"))
        #expect(try covered("chat.>", by: "chat.>"))
        #expect(try covered("chat.*", by: "chat.*"))
        #expect(try !covered("chat.>", by: "chat.*"), "'>' reaches deeper than '*'")
        #expect(try !covered(">", by: "chat.>"))
        #expect(try !covered("chat", by: "chat.>"))
        #expect(try !covered("chat.room1.x", by: "chat.*"))
        #expect(try covered("a.b.c", by: ">"))
    }
}
