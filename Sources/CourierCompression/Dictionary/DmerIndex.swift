/// The samples concatenated, each position's d-mer as a dense id (-1 when the d-mer
/// would cross into the next sample), and in how many samples each d-mer occurs.
struct DmerIndex {
    let dmerSize: Int
    let data: [UInt8]
    let dmerAt: [Int32]
    let sampleFrequency: [Int32]

    init(samples: [[UInt8]], dmerSize: Int) {
        self.dmerSize = dmerSize
        var data: [UInt8] = []
        data.reserveCapacity(samples.reduce(0) { $0 + $1.count })
        var dmerAt: [Int32] = []
        dmerAt.reserveCapacity(data.capacity)
        var ids: [UInt64: Int32] = [:]
        var frequency: [Int32] = []
        var lastSample: [Int32] = []
        let mask: UInt64 = dmerSize == 8 ? .max : (1 << UInt64(dmerSize * 8)) - 1
        for (sampleIndex, sample) in samples.enumerated() {
            var key: UInt64 = 0
            for (offset, byte) in sample.enumerated() {
                key = (key << 8 | UInt64(byte)) & mask
                data.append(byte)
                dmerAt.append(-1)
                guard offset + 1 >= dmerSize else { continue }
                // The d-mer ending here starts dmerSize - 1 bytes back.
                let id: Int32
                if let known = ids[key] {
                    id = known
                } else {
                    id = Int32(frequency.count)
                    ids[key] = id
                    frequency.append(0)
                    lastSample.append(-1)
                }
                dmerAt[dmerAt.count - dmerSize] = id
                if lastSample[Int(id)] != Int32(sampleIndex) {
                    lastSample[Int(id)] = Int32(sampleIndex)
                    frequency[Int(id)] += 1
                }
            }
        }
        self.data = data
        self.dmerAt = dmerAt
        self.sampleFrequency = frequency
    }
}
