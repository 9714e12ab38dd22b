/// Market data as an exchange feed sends it: most messages are quote updates (the bid or
/// the ask of one symbol moves, with its size), the rest are trades (last price, and the
/// cumulative volume grows); a few symbols are much busier than the rest. Every message
/// carries the full current state of its symbol:
///
///     {"s":"QXR","p":187.23,"b":187.22,"bs":300,"a":187.25,"as":500,"v":1843200,"t":1764547200123}
struct TickerStream: Sendable {
    private struct Symbol: Sendable {
        let name: String
        var last: Int  // cents
        var bid: Int
        var ask: Int
        var bidSize: Int
        var askSize: Int
        var volume: Int
    }

    private var random: SplitMix64
    private var symbols: [Symbol] = []
    /// Cumulative activity weights (Zipf-like, exponent 0.75) for picking a symbol.
    private var cumulativeWeights: [Double] = []
    private var clock: Int = 1_764_547_200_000

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        var names = Set<String>()
        var total = 0.0
        while symbols.count < 100 {
            let length = random.pick([2, 3, 3, 4, 4, 4])
            let name = String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(65 + random.int(in: 0...25)))) })
            guard names.insert(name).inserted else { continue }
            let price = random.int(in: 500...80_000)
            let spread = random.int(in: 1...4)
            symbols.append(Symbol(name: name, last: price, bid: price - spread / 2 - 1, ask: price + spread - spread / 2,
                                  bidSize: random.int(in: 1...20) * 100, askSize: random.int(in: 1...20) * 100,
                                  volume: random.int(in: 1_000...5_000) * 100))
            let rank = Double(symbols.count)
            total += 1 / (rank.squareRoot() * rank.squareRoot().squareRoot())  // 1 / rank^0.75
            cumulativeWeights.append(total)
        }
    }

    mutating func next() -> DatasetMessage {
        let index = pickSymbol()
        var symbol = symbols[index]
        clock += random.int(in: 0...4)
        if random.chance(0.7) {
            // Quote update: one side moves by a tick or two (never crossing), its size changes.
            let move = random.pick([-2, -1, -1, 1, 1, 2])
            if random.chance(0.5) {
                symbol.bid = min(symbol.bid + move, symbol.ask - 1)
                symbol.bidSize = random.int(in: 1...30) * 100
            } else {
                symbol.ask = max(symbol.ask + move, symbol.bid + 1)
                symbol.askSize = random.int(in: 1...30) * 100
            }
        } else {
            // Trade at the bid or the ask.
            symbol.last = random.chance(0.5) ? symbol.bid : symbol.ask
            symbol.volume += random.pick([1, 1, 2, 3, 5, 10]) * 100
        }
        symbol.bid = max(symbol.bid, 1)
        symbol.ask = max(symbol.ask, symbol.bid + 1)
        symbols[index] = symbol
        let text = "{\"s\":\"\(symbol.name)\",\"p\":\(DecimalText.fixed(symbol.last, scale: 2)),\"b\":\(DecimalText.fixed(symbol.bid, scale: 2)),"
            + "\"bs\":\(symbol.bidSize),\"a\":\(DecimalText.fixed(symbol.ask, scale: 2)),\"as\":\(symbol.askSize),\"v\":\(symbol.volume),\"t\":\(clock)}"
        return DatasetMessage(key: symbol.name, bytes: Array(text.utf8))
    }

    private mutating func pickSymbol() -> Int {
        let target = random.unit() * (cumulativeWeights.last ?? 1)
        var low = 0
        var high = cumulativeWeights.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
