import Foundation
import Testing

/// Network faults made by the kernel (root only): iptables rules on loopback and
/// `ss -K`. Every rule added is removed again by `remove()` (tests call it in a
/// `defer`), and rules only match the test's own ports or its own source address.
struct KernelFaults {
    static let iptables: String? = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let ss: String? = ["/usr/bin/ss", "/bin/ss", "/usr/sbin/ss"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let isRoot = getuid() == 0
    /// Whether the kernel takes iptables commands here (a container without netfilter
    /// does not): a read-only listing, so probing changes nothing.
    static let kernelAllows: Bool = {
        guard isRoot, let iptables else { return false }
        return (try? run(iptables, ["-L", "INPUT", "-n"])) != nil
    }()
    /// Runs as root with both tools where the kernel allows iptables ("where available",
    /// issue 8). In CI (COURIER_REQUIRE_ALL: `.ci/run` runs as root and installs both) a
    /// tool that is not installed fails the tests instead of skipping them; a kernel that
    /// refuses netfilter still skips them, with this reason.
    static let enabled = (isRoot && ss != nil && kernelAllows)
        || (ProcessInfo.processInfo.environment["COURIER_REQUIRE_ALL"] != nil && (iptables == nil || ss == nil))
    static let skipReason: Comment = "needs root, iptables and ss, and a kernel that takes iptables rules (set COURIER_REQUIRE_ALL=1 to fail when a tool is missing)"

    struct Failure: Error, CustomStringConvertible { let description: String }

    private var added: [[String]] = []

    /// Inserts an iptables rule (`-I` + `rule`).
    mutating func insert(_ rule: [String]) throws {
        try Self.run(try Self.tool(Self.iptables, "iptables"), ["-I"] + rule)
        added.append(rule)
    }

    /// Removes every rule this value inserted (last first).
    mutating func remove() {
        guard let iptables = Self.iptables else { return }
        for rule in added.reversed() { _ = try? Self.run(iptables, ["-D"] + rule) }
        added.removeAll()
    }

    /// Resets (as the kernel does for `ss -K`) every TCP socket whose destination is
    /// 127.0.0.1:`port`: each client's side of its connections to that server.
    static func killSockets(toPort port: Int) throws {
        try run(try tool(ss, "ss"), ["-K", "dst", "127.0.0.1", "dport", "=", "\(port)"])
    }

    private static func tool(_ path: String?, _ name: String) throws -> String {
        guard isRoot else { throw Failure(description: "\(name) faults need root") }
        guard let path else { throw Failure(description: "\(name) is not installed") }
        return path
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}
