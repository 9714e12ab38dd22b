/// Builds a preset dictionary from sample messages with a simplified version of zstd's
/// COVER algorithm (Liao, Petri, Moffat, Wirth, "Effective Construction of Relative
/// Lempel-Ziv Dictionaries", WWW 2016):
///
/// 1. every d-mer (`dmerSize` consecutive bytes inside one sample) is scored by the
///    number of samples that contain it;
/// 2. the samples, concatenated, are cut into epochs; each round takes from each epoch
///    the `segmentSize`-byte segment whose distinct d-mers score highest, trims the
///    ends that score nothing, and zeroes the scores of its d-mers so later segments
///    bring something new;
/// 3. rounds repeat until the dictionary is full or nothing scores; segments are then
///    laid out by score, **the most valuable last**, because deflate codes near matches
///    in fewer bits and the end of the dictionary is nearest to the message.
///
/// Deterministic: the same samples and parameters give the same bytes (no hashing with
/// a random seed, ties broken by position).
public struct DictionaryTrainer: Sendable {
    /// Largest dictionary to build, at most `CompressionDictionary.maximumSize`. The default,
    /// 8 KiB, is where `courier bench compression` stops paying: on the generated datasets a
    /// 16 KiB dictionary saves 3 to 6% more bytes but `deflateSetDictionary` (run for every
    /// message, about 1.7 ns per dictionary byte) costs twice the CPU.
    public var dictionarySize: Int
    /// Bytes per selected segment (zstd's k). On the generated datasets 128 to 512 are
    /// within 1% of each other and 32 to 64 are 3 to 14% worse (`courier bench compression
    /// --segment K --dmer D`); 256 is the default.
    public var segmentSize: Int
    /// Bytes per d-mer, 4 ... 8 (zstd's d).
    public var dmerSize: Int

    public init(dictionarySize: Int = 8 * 1_024, segmentSize: Int = 256, dmerSize: Int = 8) {
        self.dictionarySize = dictionarySize
        self.segmentSize = segmentSize
        self.dmerSize = dmerSize
    }

    /// The trained dictionary as a `CompressionDictionary`.
    public func train(samples: [[UInt8]], id: UInt32, version: UInt32) throws -> CompressionDictionary {
        try CompressionDictionary(id: id, version: version, bytes: train(samples: samples))
    }

    /// The dictionary bytes, at most `dictionarySize` (fewer when the samples hold less
    /// content worth keeping).
    public func train(samples: [[UInt8]]) -> [UInt8] {
        let capacity = min(max(dictionarySize, 0), CompressionDictionary.maximumSize)
        let d = min(max(dmerSize, 4), 8)
        let k = max(segmentSize, d)
        guard capacity > 0, !samples.isEmpty else { return [] }
        let index = DmerIndex(samples: samples, dmerSize: d)
        guard index.data.count >= d else { return [] }
        var frequency = index.sampleFrequency

        // zstd uses about four rounds over the data: each epoch gives a quarter of its share per round.
        let epochCount = max(1, min(capacity / k / 4, index.data.count / max(k, 1)))
        let epochSize = index.data.count / epochCount
        var segments: [(score: Int, order: Int, range: Range<Int>)] = []
        var total = 0
        var idleEpochs = 0
        var epoch = 0
        var activeCount = [Int32](repeating: 0, count: frequency.count)
        while total < capacity && idleEpochs < epochCount {
            let begin = epoch * epochSize
            let end = epoch == epochCount - 1 ? index.data.count : begin + epochSize
            epoch = (epoch + 1) % epochCount
            guard let best = bestSegment(in: begin..<end, index: index, frequency: frequency, segmentBytes: k, active: &activeCount), best.score > 0 else {
                idleEpochs += 1
                continue
            }
            idleEpochs = 0
            // Its d-mers are now covered: they score nothing for later segments.
            for position in best.range.lowerBound...(best.range.upperBound - d) {
                let id = index.dmerAt[position]
                if id >= 0 { frequency[Int(id)] = 0 }
            }
            segments.append((best.score, segments.count, best.range))
            total += best.range.count
        }

        // Lowest scores first, so the best segments end up at the end; drop from the front what does not fit.
        segments.sort { $0.score != $1.score ? $0.score < $1.score : $0.order > $1.order }
        var dictionary: [UInt8] = []
        dictionary.reserveCapacity(total)
        for segment in segments { dictionary += index.data[segment.range] }
        if dictionary.count > capacity { dictionary.removeFirst(dictionary.count - capacity) }
        return dictionary
    }

    /// The best `segmentBytes`-long window of `range`: the sum of the frequencies of its
    /// distinct d-mers, trimmed of zero-scoring d-mers at both ends.
    private func bestSegment(in range: Range<Int>, index: DmerIndex, frequency: [Int32], segmentBytes: Int, active: inout [Int32]) -> (score: Int, range: Range<Int>)? {
        let d = index.dmerSize
        // d-mer start positions inside one window of the segment.
        let span = segmentBytes - d + 1
        let lastStart = range.upperBound - d
        guard lastStart >= range.lowerBound else { return nil }
        var score = 0
        var bestScore = 0
        var bestStart = range.lowerBound
        var windowStart = range.lowerBound
        for position in range.lowerBound...lastStart {
            let id = index.dmerAt[position]
            if id >= 0 {
                if active[Int(id)] == 0 { score += Int(frequency[Int(id)]) }
                active[Int(id)] += 1
            }
            if position - windowStart + 1 > span {
                let old = index.dmerAt[windowStart]
                if old >= 0 {
                    active[Int(old)] -= 1
                    if active[Int(old)] == 0 { score -= Int(frequency[Int(old)]) }
                }
                windowStart += 1
            }
            if score > bestScore {
                bestScore = score
                bestStart = windowStart
            }
        }
        // Leave `active` all zero for the next call.
        for position in windowStart...lastStart {
            let id = index.dmerAt[position]
            if id >= 0 { active[Int(id)] -= 1 }
        }
        guard bestScore > 0 else { return nil }
        var first = bestStart
        var last = min(bestStart + span - 1, lastStart)
        while first < last, index.dmerAt[first] < 0 || frequency[Int(index.dmerAt[first])] == 0 { first += 1 }
        while last > first, index.dmerAt[last] < 0 || frequency[Int(index.dmerAt[last])] == 0 { last -= 1 }
        return (bestScore, first..<(last + d))
    }
}
