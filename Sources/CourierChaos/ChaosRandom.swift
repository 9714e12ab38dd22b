import CourierDatasets
import Foundation

/// The fault plan's random source: `CourierDatasets`' SplitMix64 (the same seed gives
/// the same faults on every platform and Swift version), with independent streams per
/// connection and direction, and exponential delays.
public struct ChaosRandom: RandomNumberGenerator, Hashable, Sendable {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// An independent stream for one part of the plan (a connection, a direction).
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        generator = SplitMix64(seed: mixer.next())
    }

    public mutating func next() -> UInt64 { generator.next() }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double { generator.unit() }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int { generator.int(in: range) }

    /// An exponentially distributed delay with this mean (memoryless arrivals), at
    /// least 1 ms and at most 20 means.
    public mutating func exponential(meanMillis: Int) -> Duration {
        let draw = -Double(meanMillis) * log(1 - unit())
        let millis = min(max(draw, 1), Double(meanMillis) * 20)
        return .microseconds(Int64(millis * 1_000))
    }
}
