import Foundation
import Testing

#if os(Linux)
/// libCourierMallocCounter.so, as `swift build` leaves it beside the test bundle. The
/// tests never link it (that would put its malloc under the whole test process): one
/// loads it with dlopen and calls its functions directly, the other preloads it into a
/// child process as `courier bench fanout` does with `courier serve`.
let counterLibrary: String? = {
    let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    let path = directory.appendingPathComponent("libCourierMallocCounter.so").path
    if FileManager.default.fileExists(atPath: path) { return path }
    // CI runs with COURIER_REQUIRE_ALL=1: there a missing library is a failure, not a skip.
    if ProcessInfo.processInfo.environment["COURIER_REQUIRE_ALL"] != nil { return path }
    return nil
}()

@Suite("CourierMallocCounter (the library courier bench preloads into the server)", .enabled(if: counterLibrary != nil, "libCourierMallocCounter.so is not built"))
struct MallocCounterTests {
    /// The library's own functions, loaded with RTLD_LOCAL: its malloc replaces nobody's.
    struct Library {
        let handle: UnsafeMutableRawPointer

        init(path: String) throws {
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                throw LibraryError(description: String(cString: dlerror()))
            }
            self.handle = handle
        }

        func function<F>(_ name: String, as type: F.Type) throws -> F {
            guard let symbol = dlsym(handle, name) else { throw LibraryError(description: "no \(name)") }
            return unsafeBitCast(symbol, to: type)
        }
    }

    struct LibraryError: Error, CustomStringConvertible { let description: String }

    @Test func everyAllocationCallCountsOnceAndFreeingCountsNothing() throws {
        let library = try Library(path: try #require(counterLibrary))
        let count = try library.function("courier_malloc_count", as: (@convention(c) () -> UInt64).self)
        let malloc = try library.function("malloc", as: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self)
        let calloc = try library.function("calloc", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self)
        let realloc = try library.function("realloc", as: (@convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?).self)
        let reallocarray = try library.function("reallocarray", as: (@convention(c) (UnsafeMutableRawPointer?, Int, Int) -> UnsafeMutableRawPointer?).self)
        let posixMemalign = try library.function("posix_memalign", as: (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int, Int) -> Int32).self)
        let alignedAlloc = try library.function("aligned_alloc", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self)
        let memalign = try library.function("memalign", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self)

        var expected = count()
        func counted(_ calls: UInt64, _ comment: Comment) {
            expected += calls
            #expect(count() == expected, comment)
        }
        let a = try #require(malloc(24)); counted(1, "malloc")
        let b = try #require(calloc(4, 8)); counted(1, "calloc")
        #expect(UnsafeRawBufferPointer(start: b, count: 32).allSatisfy { $0 == 0 })
        let c = try #require(realloc(a, 4_096)); counted(1, "realloc that grows")
        let d = try #require(realloc(nil, 16)); counted(1, "realloc(NULL, n)")
        #expect(realloc(d, 0) == nil); counted(0, "realloc(p, 0) frees")
        let e = try #require(reallocarray(c, 16, 512)); counted(1, "reallocarray")
        #expect(reallocarray(nil, Int.max, 4) == nil); counted(0, "reallocarray that overflows allocates nothing")
        var f: UnsafeMutableRawPointer?
        #expect(posixMemalign(&f, 64, 100) == 0); counted(1, "posix_memalign")
        #expect(Int(bitPattern: f) % 64 == 0)
        var g: UnsafeMutableRawPointer?
        #expect(posixMemalign(&g, 3, 100) == EINVAL); counted(0, "posix_memalign with a bad alignment")
        let h = try #require(alignedAlloc(256, 512)); counted(1, "aligned_alloc")
        #expect(Int(bitPattern: h) % 256 == 0)
        let i = try #require(memalign(4_096, 10)); counted(1, "memalign")
        #expect(Int(bitPattern: i) % 4_096 == 0)
        // glibc's free takes what glibc's allocator gave, and the library does not count it.
        for pointer in [b, e, f, h, i] { free(pointer) }
        #expect(count() == expected)
    }

    @Test func aPreloadedProcessWritesItsCountOnSIGUSR2AndKeepsRunning() async throws {
        let library = try #require(counterLibrary)
        let countFile = FileManager.default.temporaryDirectory.appendingPathComponent("courier-malloc-count-test-\(UUID().uuidString)").path
        defer { unlink(countFile); unlink(countFile + ".tmp") }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = library
        environment["COURIER_MALLOC_COUNT_FILE"] = countFile
        child.environment = environment
        try child.run()
        // SIGKILL: the child inherits the test runner's blocked signals (SIGTERM among them).
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }

        // The library writes the file as it loads: then its SIGUSR2 handler is installed.
        let atLoad = try #require(await readCount(countFile), "no count file after loading")
        try await Task.sleep(for: .milliseconds(200))  // sleep's main has run (setlocale allocates)
        var counts: [UInt64] = []
        for _ in 0..<3 {
            unlink(countFile)
            #expect(kill(child.processIdentifier, SIGUSR2) == 0)
            counts.append(try #require(await readCount(countFile), "no count after SIGUSR2"))
        }
        #expect(counts[0] > atLoad)
        #expect(counts[1] == counts[0] && counts[2] == counts[0], "sleep allocates nothing while it sleeps: \(counts)")
        #expect(child.isRunning)
    }

    /// The count once the file exists (the library renames a whole file into place).
    func readCount(_ path: String) async -> UInt64? {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while clock.now < deadline {
            if let data = FileManager.default.contents(atPath: path) {
                let text = String(decoding: data, as: UTF8.self)
                guard text.hasSuffix("\n") else { return nil }
                return UInt64(text.dropLast())
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }
}
#endif
