/// Why a chaos profile (a file, a name or a flag) was refused. The description says
/// which field and what is allowed.
public struct ChaosProfileError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case notJSON(String)
        case notAnObject(String)
        case unknownKey(String)
        case wrongType(field: String, expected: String)
        case outOfRange(field: String, value: Int, range: ClosedRange<Int>)
        case overlappingOutages(index: Int)
        case unknownProfile(String)
        case badFlag(String)
    }

    let kind: Kind

    static func notJSON(_ detail: String) -> Self { .init(kind: .notJSON(detail)) }
    static func notAnObject(_ field: String) -> Self { .init(kind: .notAnObject(field)) }
    static func unknownKey(_ key: String) -> Self { .init(kind: .unknownKey(key)) }
    static func wrongType(field: String, expected: String) -> Self { .init(kind: .wrongType(field: field, expected: expected)) }
    static func outOfRange(field: String, value: Int, range: ClosedRange<Int>) -> Self {
        .init(kind: .outOfRange(field: field, value: value, range: range))
    }
    static func overlappingOutages(index: Int) -> Self { .init(kind: .overlappingOutages(index: index)) }
    static func unknownProfile(_ name: String) -> Self { .init(kind: .unknownProfile(name)) }
    /// A command-line value that does not parse (`--outage 10000:2000`, a direction name).
    public static func badFlag(_ detail: String) -> Self { .init(kind: .badFlag(detail)) }

    public var description: String {
        switch kind {
        case .notJSON(let detail): return "the chaos profile is not valid JSON: \(detail)"
        case .notAnObject(let field): return "chaos profile: \(field) must be a JSON object"
        case .unknownKey(let key): return "chaos profile: unknown key \(key)"
        case .wrongType(let field, let expected): return "chaos profile: \(field) must be \(expected)"
        case .outOfRange(let field, let value, let range):
            return "chaos profile: \(field) is \(value), allowed \(range.lowerBound)...\(range.upperBound)"
        case .overlappingOutages(let index): return "chaos profile: outages[\(index)] starts before outages[\(index - 1)] ends (sort them, no overlap)"
        case .unknownProfile(let name):
            return "no built-in chaos profile \(name) and no such file (built-in: \(ChaosProfile.builtInNames.joined(separator: ", ")))"
        case .badFlag(let detail): return detail
        }
    }
}
