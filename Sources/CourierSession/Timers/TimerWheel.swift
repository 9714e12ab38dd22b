/// A hashed timer wheel: many timers with a coarse resolution, each armed, moved and
/// disarmed in O(1), fired in batches by one driver (the server keeps one per event
/// loop for its connections' heartbeat and handshake deadlines).
///
/// Time is cut into ticks of `resolution`; tick `k` covers deadlines in
/// `((k − 1)·resolution, k·resolution]` and fires once `now ≥ k·resolution`. So a timer
/// never fires before its deadline, and fires at most one resolution after it when
/// `advance(to:)` is called at every tick boundary (`nextTickTime` says when). A timer
/// armed for a tick already passed fires at the next one.
///
/// Tick `k` lives in slot `k mod slotCount`; a slot can hold timers of later rounds
/// (deadlines more than `slotCount` ticks ahead), which stay put until their own tick.
/// Each slot is an array; a timer knows its index in it, so removal is a swap with the
/// slot's last element. A non-empty-slot bitmap finds the next tick worth waking for.
///
/// A value type with no clock: every call carries `now` (STYLE.md §8).
public struct TimerWheel<Element> {
    /// A timer's handle: valid from `add` until `remove`, armed or not.
    public struct Timer: Hashable, Sendable {
        fileprivate let index: Int32
    }

    fileprivate struct Entry {
        var element: Element?
        var tick: UInt64 = 0
        /// The slot it is in; -1 when not armed (or free).
        var slot: Int32 = -1
        var position: Int32 = 0
    }

    public let resolution: Duration
    private let resolutionNanoseconds: UInt64
    private let mask: Int
    private var slots: [[Int32]]
    /// Bit `s` set: slot `s` is not empty.
    private var occupied: [UInt64]
    private var entries: [Entry] = []
    private var free: [Int32] = []
    /// Every tick up to this one has fired.
    public private(set) var processedTick: UInt64
    /// Timers armed.
    public private(set) var armedCount = 0

    /// - Parameters:
    ///   - resolution: the width of a tick (positive).
    ///   - slotCount: rounded up to a power of two; deadlines up to `slotCount` ticks
    ///     ahead cost one visit, later ones one visit per round.
    ///   - now: ticks up to `now` count as passed.
    public init(resolution: Duration, slotCount: Int = 4_096, now: SessionInstant) {
        precondition(resolution.nanoseconds > 0, "TimerWheel resolution must be positive")
        precondition(slotCount > 0, "TimerWheel slotCount must be positive")
        self.resolution = resolution
        self.resolutionNanoseconds = UInt64(resolution.nanoseconds)
        var count = 64
        while count < slotCount { count <<= 1 }
        self.mask = count - 1
        self.slots = Array(repeating: [], count: count)
        self.occupied = Array(repeating: 0, count: count / 64)
        self.processedTick = now.nanoseconds / UInt64(resolution.nanoseconds)
    }

    public var slotCount: Int { mask + 1 }

    /// The first tick at which `deadline` has been reached.
    public func tick(for deadline: SessionInstant) -> UInt64 {
        let (quotient, remainder) = deadline.nanoseconds.quotientAndRemainder(dividingBy: resolutionNanoseconds)
        return remainder == 0 ? quotient : quotient + 1
    }

    /// When tick `tick` begins to fire.
    public func time(ofTick tick: UInt64) -> SessionInstant {
        SessionInstant(nanoseconds: tick.multipliedReportingOverflow(by: resolutionNanoseconds).overflow ? .max : tick * resolutionNanoseconds)
    }

    /// A new timer for `element`, not armed.
    public mutating func add(_ element: Element) -> Timer {
        let index: Int32
        if let reused = free.popLast() {
            index = reused
            entries[Int(index)] = Entry(element: element)
        } else {
            index = Int32(entries.count)
            entries.append(Entry(element: element))
        }
        return Timer(index: index)
    }

    /// Arms `timer` for `deadline` (moving it if it was armed for another tick). O(1).
    public mutating func arm(_ timer: Timer, at deadline: SessionInstant) {
        let index = Int(timer.index)
        precondition(index < entries.count && entries[index].element != nil, "TimerWheel: a removed timer")
        let tick = max(self.tick(for: deadline), processedTick + 1)
        if entries[index].slot >= 0 {
            if entries[index].tick == tick { return }
            unlink(index)
        }
        let slot = Int(tick & UInt64(mask))
        entries[index].tick = tick
        entries[index].slot = Int32(slot)
        entries[index].position = Int32(slots[slot].count)
        if slots[slot].isEmpty { occupied[slot >> 6] |= 1 << UInt64(slot & 63) }
        slots[slot].append(timer.index)
        armedCount += 1
    }

    /// Disarms `timer` (it stays valid). O(1).
    public mutating func disarm(_ timer: Timer) {
        let index = Int(timer.index)
        guard index < entries.count, entries[index].slot >= 0 else { return }
        unlink(index)
    }

    /// Whether `timer` is armed, and for which tick.
    public func armedTick(_ timer: Timer) -> UInt64? {
        let entry = entries[Int(timer.index)]
        return entry.slot >= 0 ? entry.tick : nil
    }

    /// Disarms `timer` and forgets it (its handle must not be used again).
    @discardableResult
    public mutating func remove(_ timer: Timer) -> Element? {
        let index = Int(timer.index)
        guard index < entries.count, let element = entries[index].element else { return nil }
        if entries[index].slot >= 0 { unlink(index) }
        entries[index].element = nil
        free.append(timer.index)
        return element
    }

    /// Fires every timer whose tick has come by `now`, in tick order (any order within
    /// a tick): each is disarmed and appended to `fired`. Returns how many fired.
    @discardableResult
    public mutating func advance(to now: SessionInstant, into fired: inout [Element]) -> Int {
        let target = now.nanoseconds / resolutionNanoseconds
        guard target > processedTick else { return 0 }
        let before = fired.count
        if armedCount > 0 {
            // More than a round behind: one visit of every slot fires all that is due.
            let first = target - processedTick > UInt64(slotCount) ? target - UInt64(slotCount) + 1 : processedTick + 1
            var tick = first
            while tick <= target {
                if let next = nextOccupiedTick(from: tick, through: target) {
                    fire(slot: Int(next & UInt64(mask)), upTo: target, into: &fired)
                    tick = next + 1
                } else {
                    break
                }
            }
        }
        processedTick = target
        return fired.count - before
    }

    /// The first tick after `processedTick` whose slot holds a timer (nil when none is
    /// armed): the driver wakes then. Its timers may belong to a later round.
    public var nextOccupiedTick: UInt64? {
        guard armedCount > 0 else { return nil }
        return nextOccupiedTick(from: processedTick + 1, through: processedTick + UInt64(slotCount))
    }

    /// When the driver should next call `advance` (nil: nothing armed).
    public var nextTickTime: SessionInstant? { nextOccupiedTick.map { time(ofTick: $0) } }

    // MARK: Internals

    private func nextOccupiedTick(from start: UInt64, through end: UInt64) -> UInt64? {
        var tick = start
        while tick <= end {
            let slot = Int(tick & UInt64(mask))
            let word = occupied[slot >> 6] >> UInt64(slot & 63)
            if word != 0 {
                let found = tick + UInt64(word.trailingZeroBitCount)
                return found <= end ? found : nil
            }
            tick += UInt64(64 - (slot & 63))
        }
        return nil
    }

    private mutating func fire(slot: Int, upTo target: UInt64, into fired: inout [Element]) {
        var position = slots[slot].count - 1
        while position >= 0 {
            let index = Int(slots[slot][position])
            if entries[index].tick <= target {
                unlink(index)
                if let element = entries[index].element { fired.append(element) }
            }
            position -= 1
        }
    }

    private mutating func unlink(_ index: Int) {
        let slot = Int(entries[index].slot)
        let position = Int(entries[index].position)
        let last = slots[slot].count - 1
        if position != last {
            let moved = slots[slot][last]
            slots[slot][position] = moved
            entries[Int(moved)].position = Int32(position)
        }
        slots[slot].removeLast()
        if slots[slot].isEmpty { occupied[slot >> 6] &= ~(1 << UInt64(slot & 63)) }
        entries[index].slot = -1
        armedCount -= 1
    }
}

extension TimerWheel: Sendable where Element: Sendable {}
extension TimerWheel.Entry: Sendable where Element: Sendable {}
