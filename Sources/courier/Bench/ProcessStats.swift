import Foundation

/// Resident memory of a process, from /proc/PID/status (Linux).
struct ProcessMemory {
    let pid: Int32

    /// This process.
    static var current: ProcessMemory { ProcessMemory(pid: getpid()) }

    func residentBytes() -> Int? { field("VmRSS:") }
    func peakResidentBytes() -> Int? { field("VmHWM:") }

    /// User + system CPU time, from /proc/PID/stat (fields 14 and 15, in clock ticks).
    func cpuSeconds() -> Double? {
        guard let text = read("/proc/\(pid)/stat"), let end = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 is state; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A "Name:\t   1234 kB" line, in bytes.
    private func field(_ name: String) -> Int? {
        guard let text = read("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1_024 }
        }
        return nil
    }

    /// A /proc file (they report size 0: read until end of file, not by size).
    private func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum FileLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in effect.
    static func raiseToHard() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}

extension Duration {
    /// Seconds as a Double, for reports.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
