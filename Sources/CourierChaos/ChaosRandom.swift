import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): the same seed gives the same faults on every
/// platform and Swift version. (The same generator as `CourierDatasets`, kept here so
/// the proxy depends on NIO alone.)
public struct ChaosRandom: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for one part of the plan (a connection, a direction).
    public init(seed: UInt64, stream: UInt64) {
        var mixer = ChaosRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % width)
    }

    /// An exponentially distributed delay with this mean (memoryless arrivals), at
    /// least 1 ms and at most 20 means.
    public mutating func exponential(meanMillis: Int) -> Duration {
        let draw = -Double(meanMillis) * log(1 - unit())
        let millis = min(max(draw, 1), Double(meanMillis) * 20)
        return .microseconds(Int64(millis * 1_000))
    }
}
