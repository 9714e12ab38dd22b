/// A benchmark found a result that does not round-trip (it stops rather than report numbers for wrong output).
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
