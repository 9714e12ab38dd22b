#if os(Linux)
import CEpoll
import Glibc
import Synchronization

/// Plain threads that read the subscribers' sockets and count deliveries.
///
/// Everything they use is made before they start: one epoll set per thread, a read
/// buffer per subscriber (one `mmap`ed region, so pages are committed only as they are
/// used), an event array per thread. In the loop there is `epoll_wait`, `recv`,
/// `FrameScanner` over the bytes in place, `memmove` of an incomplete frame to the
/// buffer's start, and one atomic add per wakeup: no allocation, so whatever the malloc
/// counter sees while they run comes from the server.
final class DeliveryReaders: @unchecked Sendable {
    /// Largest server frame a subscriber buffer holds: the server cuts its WebSocket
    /// messages at `maxOutboundBatchBytes` (64 KiB) plus the message that crossed it.
    static let bufferCapacity = 256 * 1_024
    /// Bytes asked of one `recv` (touching less of each buffer keeps memory small).
    static let readSize = 32 * 1_024
    static let maxEvents = 256

    let fds: [Int32]
    let delivered = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let closes = Atomic<Int>(0)
    let malformed = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let buffers: UnsafeMutableRawPointer
    private let fills: UnsafeMutablePointer<Int>
    private var threads: [pthread_t] = []
    private var epolls: [Int32] = []

    /// - Parameter initial: bytes each subscriber had already received during setup.
    init(fds: [Int32], initial: [[UInt8]]) throws {
        self.fds = fds
        let size = max(1, fds.count) * Self.bufferCapacity
        guard let region = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              region != MAP_FAILED else {
            throw SetupSocket.Failure("mmap of \(size) bytes for the read buffers failed: errno \(errno)")
        }
        buffers = region
        fills = .allocate(capacity: max(1, fds.count))
        fills.initialize(repeating: 0, count: max(1, fds.count))
        for (index, bytes) in initial.enumerated() where !bytes.isEmpty {
            bytes.withUnsafeBytes { buffers.advanced(by: index * Self.bufferCapacity).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            fills[index] = bytes.count
        }
    }

    deinit {
        munmap(buffers, max(1, fds.count) * Self.bufferCapacity)
        fills.deallocate()
    }

    /// Starts `count` threads; subscriber `i` is read by thread `i % count`.
    func start(threads count: Int) throws {
        for thread in 0..<count {
            let epoll = epoll_create1(0)
            guard epoll >= 0 else { throw SetupSocket.Failure("epoll_create1: errno \(errno)") }
            epolls.append(epoll)
            for index in stride(from: thread, to: fds.count, by: count) {
                var event = epoll_event()
                event.events = cepoll_in()
                event.data.u64 = UInt64(index)
                guard epoll_ctl(epoll, EPOLL_CTL_ADD, fds[index], &event) == 0 else {
                    throw SetupSocket.Failure("epoll_ctl: errno \(errno)")
                }
            }
        }
        // Whatever arrived during setup is counted like the rest (before any thread runs).
        for index in fds.indices where fills[index] > 0 {
            var tally = ScanTally()
            consume(index, &tally)
            add(tally)
        }
        for thread in 0..<count {
            let context = Unmanaged.passRetained(ReaderContext(readers: self, epoll: epolls[thread])).toOpaque()
            var handle = pthread_t()
            let created = pthread_create(&handle, nil, { argument in
                let context = Unmanaged<ReaderContext>.fromOpaque(argument!).takeRetainedValue()
                context.readers.run(epoll: context.epoll)
                return nil
            }, context)
            guard created == 0 else { throw SetupSocket.Failure("pthread_create: \(created)") }
            threads.append(handle)
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
        for epoll in epolls { close(epoll) }
        epolls.removeAll()
    }

    private final class ReaderContext {
        let readers: DeliveryReaders
        let epoll: Int32
        init(readers: DeliveryReaders, epoll: Int32) {
            self.readers = readers
            self.epoll = epoll
        }
    }

    private func run(epoll: Int32) {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Self.maxEvents)
        defer { events.deallocate() }
        while !stopping.load(ordering: .relaxed) {
            let ready = epoll_wait(epoll, events, Int32(Self.maxEvents), 50)
            guard ready > 0 else { continue }
            var tally = ScanTally()
            for slot in 0..<Int(ready) {
                let index = Int(events[slot].data.u64)
                if !read(index, &tally) {
                    var event = epoll_event()
                    epoll_ctl(epoll, EPOLL_CTL_DEL, fds[index], &event)
                }
            }
            add(tally)
        }
    }

    private func add(_ tally: ScanTally) {
        if tally.dataMessages > 0 { delivered.add(tally.dataMessages, ordering: .relaxed) }
        if tally.errors > 0 { errors.add(tally.errors, ordering: .relaxed) }
        if tally.closes > 0 { closes.add(tally.closes, ordering: .relaxed) }
        if tally.malformed > 0 { malformed.add(tally.malformed, ordering: .relaxed) }
    }

    /// One `recv` for subscriber `index`, then counts its complete frames. False when the
    /// connection is finished with (closed, failed, or a frame too large for the buffer).
    private func read(_ index: Int, _ tally: inout ScanTally) -> Bool {
        let buffer = buffers.advanced(by: index * Self.bufferCapacity)
        let fill = fills[index]
        let room = Self.bufferCapacity - fill
        guard room > 0 else {
            tally.malformed += 1
            return false
        }
        let received = recv(fds[index], buffer.advanced(by: fill), min(room, Self.readSize), 0)
        if received > 0 {
            fills[index] = fill + received
            consume(index, &tally)
            return true
        }
        if received == 0 {
            tally.closes += 1
            return false
        }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return true }
        tally.closes += 1
        return false
    }

    /// Counts the complete frames in subscriber `index`'s buffer and moves what is left
    /// (the start of a frame) to the front.
    private func consume(_ index: Int, _ tally: inout ScanTally) {
        let buffer = buffers.advanced(by: index * Self.bufferCapacity)
        let fill = fills[index]
        let used = FrameScanner.scan(UnsafeRawBufferPointer(start: buffer, count: fill), into: &tally)
        if used > 0 {
            if used < fill { memmove(buffer, buffer.advanced(by: used), fill - used) }
            fills[index] = fill - used
        }
    }
}
#endif
