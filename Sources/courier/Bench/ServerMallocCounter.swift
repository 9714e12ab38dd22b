import Foundation

/// Counts the mallocs of a `courier serve` child: libCourierMallocCounter.so (the
/// `CourierMallocCounter` product, built beside this executable) is preloaded into the
/// child, which writes its count to a file on SIGUSR2.
struct ServerMallocCounter: Sendable {
    /// The file the child writes its count to (`COURIER_MALLOC_COUNT_FILE`).
    let countFile: String

    /// Where the library is, or why the count cannot be had (the reason is shown to the user).
    static func library() -> Result<String, Unavailable> {
        if let preload = ProcessInfo.processInfo.environment["LD_PRELOAD"], !preload.isEmpty {
            return .failure(Unavailable("LD_PRELOAD is already set (\(preload))"))
        }
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let path = directory.appendingPathComponent("libCourierMallocCounter.so").path
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(Unavailable("no \(path): build it with `swift build -c release --product CourierMallocCounter`"))
        }
        return .success(path)
    }

    /// A count file name no other bench uses.
    static func makeCountFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("courier-malloc-count-\(getpid())-\(UUID().uuidString)").path
    }

    /// The environment that makes a child count its mallocs.
    static func environment(library: String, countFile: String) -> [String: String] {
        ["LD_PRELOAD": library, "COURIER_MALLOC_COUNT_FILE": countFile]
    }

    /// True once the child has installed its SIGUSR2 handler: the library writes the
    /// file when it loads, before `main`. (Without the handler, SIGUSR2 would end the child.)
    var isInstalled: Bool { FileManager.default.fileExists(atPath: countFile) }

    /// The child's malloc count now: removes the file, sends SIGUSR2 and waits (at most
    /// `timeout`) for the child to write it anew. The library writes a temporary file and
    /// renames it, so the file is whole whenever it exists. Nil if the child did not answer.
    func read(from pid: pid_t, timeout: Duration = .seconds(2)) async -> UInt64? {
        unlink(countFile)
        guard kill(pid, SIGUSR2) == 0 else { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let data = FileManager.default.contents(atPath: countFile) {
                let text = String(decoding: data, as: UTF8.self)
                guard text.hasSuffix("\n"), let count = UInt64(text.dropLast()) else { return nil }
                return count
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    /// Removes the count file and the library's temporary file.
    func remove() {
        unlink(countFile)
        unlink(countFile + ".tmp")
    }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
