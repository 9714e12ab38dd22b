import Foundation
import Testing

/// A throwaway PKI made with the `openssl` command line at test time (nothing is
/// committed): a CA, a server certificate it signed for `localhost` and 127.0.0.1,
/// and a key that belongs to neither (for the "key does not match" error).
struct TestCertificates {
    let directory: URL
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    var serverChainPath: String { directory.appendingPathComponent("server.pem").path }
    var serverKeyPath: String { directory.appendingPathComponent("server.key").path }
    var otherKeyPath: String { directory.appendingPathComponent("other.key").path }
    /// Signed by the CA for the name `other.example` only (no IP address), with `server.key`.
    var otherNameChainPath: String { directory.appendingPathComponent("other-name.pem").path }

    /// The openssl executable, or nil. With COURIER_REQUIRE_ALL set (CI) a missing
    /// openssl is a failure, not a skip: the tests then run and fail in `make()`.
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let enabled = openssl != nil || ProcessInfo.processInfo.environment["COURIER_REQUIRE_ALL"] != nil
    static let skipReason: Comment = "openssl is not installed: the TLS tests need it to make certificates (set COURIER_REQUIRE_ALL=1 to fail instead)"

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func make() throws -> TestCertificates {
        guard let openssl else { throw Failure(description: "openssl not found (needed to make the TLS test certificates)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let extensions = directory.appendingPathComponent("server.ext")
        try """
        subjectAltName = DNS:localhost, IP:127.0.0.1
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        """.write(to: extensions, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(openssl, ["req", "-x509"] + ec + [
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Courier Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ], in: directory)
        try run(openssl, ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: directory)
        try run(openssl, [
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        ], in: directory)
        try "subjectAltName = DNS:other.example\nextendedKeyUsage = serverAuth\n".write(
            to: directory.appendingPathComponent("other-name.ext"), atomically: true, encoding: .utf8
        )
        try run(openssl, [
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "3",
            "-out", "other-name.pem", "-days", "2", "-extfile", "other-name.ext",
        ], in: directory)
        try run(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "other.key"], in: directory)
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
    }
}
