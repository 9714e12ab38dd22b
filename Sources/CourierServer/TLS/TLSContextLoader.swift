import Foundation
import NIOSSL

/// Builds the server's `NIOSSLContext` from `ServerTLS`, once, before the server
/// binds. Every failure names the file and what is wrong with it.
enum TLSContextLoader {
    static func makeContext(_ tls: ServerTLS) throws(ServerConfiguration.Invalid) -> NIOSSLContext {
        let chainKey = "tls.certificateChainPath"
        let keyKey = "tls.privateKeyPath"
        try checkReadable(tls.certificateChainPath, key: chainKey, what: "certificate chain")
        try checkReadable(tls.privateKeyPath, key: keyKey, what: "private key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath)
        } catch {
            throw .init(key: chainKey, problem: "\(tls.certificateChainPath) is not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw .init(key: chainKey, problem: "\(tls.certificateChainPath) holds no PEM certificate")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        } catch {
            throw .init(key: keyKey, problem: "\(tls.privateKeyPath) is not a PEM private key (unencrypted PKCS#8, RSA or EC) (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)
        )
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw .init(key: keyKey, problem: "the private key in \(tls.privateKeyPath) does not match the certificate in \(tls.certificateChainPath)")
        } catch {
            throw .init(key: "tls", problem: "cannot use \(tls.certificateChainPath) with \(tls.privateKeyPath): \(error)")
        }
    }

    private static func checkReadable(_ path: String, key: String, what: String) throws(ServerConfiguration.Invalid) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .init(key: key, problem: "the \(what) file \(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw .init(key: key, problem: "\(path) is a directory, not a \(what) file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .init(key: key, problem: "the \(what) file \(path) is not readable")
        }
    }
}
