/// A small JSON value with ordered objects, so that `courier inspect --json` prints
/// fields in a stable, readable order. Equality ignores object key order.
public indirect enum JSONValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Int64)
    /// A number already formatted (for fractions: `"12.50"` is written as 12.50).
    case decimal(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.decimal(let a), .decimal(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            let right = Dictionary(b, uniquingKeysWith: { first, _ in first })
            return a.allSatisfy { key, value in right[key] == value }
        default: return false
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// Compact JSON text.
    public var description: String { render(indent: nil, level: 0) }

    /// Indented JSON text.
    public var pretty: String { render(indent: "  ", level: 0) }

    private func render(indent: String?, level: Int) -> String {
        let newline = indent == nil ? "" : "\n"
        let pad = { (n: Int) in String(repeating: indent ?? "", count: n) }
        let separator = indent == nil ? ":" : ": "
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return String(n)
        case .decimal(let d): return d
        case .string(let s): return JSONValue.quote(s)
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            let inner = items.map { pad(level + 1) + $0.render(indent: indent, level: level + 1) }
            return "[" + newline + inner.joined(separator: "," + newline) + newline + pad(level) + "]"
        case .object(let pairs):
            guard !pairs.isEmpty else { return "{}" }
            let inner = pairs.map { pad(level + 1) + JSONValue.quote($0.0) + separator + $0.1.render(indent: indent, level: level + 1) }
            return "{" + newline + inner.joined(separator: "," + newline) + newline + pad(level) + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

