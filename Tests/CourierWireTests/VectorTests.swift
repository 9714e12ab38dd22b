import CourierInspect
import Foundation
import CourierWire
import Testing

/// The shared test vectors are the protocol's contract with every other implementation.
@Suite("Shared test vectors (Tests/Vectors/wire-vectors.json)")
struct VectorTests {
    static func loadSuite() throws -> VectorSuite {
        let path = String(#filePath).split(separator: "/").dropLast(2).joined(separator: "/")
        let file = "/" + path + "/Vectors/wire-vectors.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return try VectorSuite(text: text)
    }

    @Test func everyVectorPasses() throws {
        let suite = try Self.loadSuite()
        #expect(suite.validCount >= 40, "the vector file must cover every type in both versions")
        #expect(suite.invalidCount >= 40, "the vector file must cover every error")
        for outcome in suite.run() where !outcome.passed {
            Issue.record("\(outcome.name): \(outcome.detail)")
        }
    }

    @Test func everyErrorCodeHasAVector() throws {
        let suite = try Self.loadSuite()
        guard case .array(let invalid)? = suite.root["invalid"] else { Issue.record("no invalid vectors"); return }
        let covered = Set(invalid.compactMap { vector -> String? in
            if case .string(let code)? = vector["error"] { return code }
            return nil
        })
        let all: [WireError.Code] = [
            .truncatedHeader, .truncatedPayload, .badMagic, .unsupportedVersion, .unknownMessageType, .payloadTooLarge,
            .lengthMismatch, .invalidUTF8, .trailingBytes, .flagNotAllowed, .invalidVarint, .invalidValue,
            .fieldTooLong, .tooManyMessages, .emptyFrame,
        ]
        for code in all { #expect(covered.contains(code.rawValue), "no invalid vector for \(code)") }
    }
}
