/// Times a round of work in laps of `messagesPerLap` messages and keeps, for each lap,
/// the fastest time over all rounds: their sum is the round as it runs without
/// interference, even when other work on shared cores slows some laps of every round.
final class LapTimer {
    let messagesPerLap: Int
    private let clock = ContinuousClock()
    private var lapStart: ContinuousClock.Instant
    private var messages = 0
    private var lap = 0
    private var fastest: [Double] = []

    init(messagesPerLap: Int) {
        self.messagesPerLap = max(messagesPerLap, 1)
        lapStart = clock.now
    }

    func beginRound() {
        lap = 0
        messages = 0
        lapStart = clock.now
    }

    /// One message done.
    func tick() {
        messages += 1
        if messages == messagesPerLap { closeLap() }
    }

    func endRound() {
        if messages > 0 { closeLap() }
    }

    /// Seconds: the sum of each lap's fastest time.
    var fastestTotal: Double { fastest.reduce(0, +) }

    private func closeLap() {
        let now = clock.now
        let seconds = CompressionTiming.seconds(lapStart.duration(to: now))
        if lap < fastest.count {
            fastest[lap] = min(fastest[lap], seconds)
        } else {
            fastest.append(seconds)
        }
        lap += 1
        messages = 0
        lapStart = now
    }
}
