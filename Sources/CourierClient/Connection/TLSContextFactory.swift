import Logging
import NIOCore
import NIOSSL

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Builds the client's `NIOSSLContext` (once per client: loading trust roots is not
/// free) and the per-connection `NIOSSLClientHandler`.
enum TLSContextFactory {
    static func makeContext(_ tls: CourierClient.TLS) throws(CourierClientError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = tls.verification == .full ? .fullVerification : .none
        switch tls.trustRoots {
        case .system:
            configuration.trustRoots = .default
        case .pemFile(let path):
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                guard !certificates.isEmpty else { throw CourierClientError.tlsConfiguration("\(path) holds no PEM certificate") }
                configuration.trustRoots = .certificates(certificates)
            } catch let error as CourierClientError {
                throw error
            } catch {
                throw .tlsConfiguration("cannot read trust roots from \(path): \(error)")
            }
        case .pemBytes(let bytes):
            do {
                let certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
                guard !certificates.isEmpty else { throw CourierClientError.tlsConfiguration("the PEM trust roots hold no certificate") }
                configuration.trustRoots = .certificates(certificates)
            } catch let error as CourierClientError {
                throw error
            } catch {
                throw .tlsConfiguration("the PEM trust roots are unusable: \(error)")
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tlsConfiguration("\(error)")
        }
    }

    /// The name for SNI and hostname verification: `serverName`, else the host unless
    /// it is an IP address (then NIOSSL checks the certificate's IP addresses).
    static func serverHostname(_ tls: CourierClient.TLS, host: String) -> String? {
        if let name = tls.serverName { return name }
        return isIPAddress(host) ? nil : host
    }

    static func isIPAddress(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("["), name.hasSuffix("]") { name = name.dropFirst().dropLast() }
        var v4 = in_addr()
        var v6 = in6_addr()
        return String(name).withCString { inet_pton(AF_INET, $0, &v4) == 1 || inet_pton(AF_INET6, $0, &v6) == 1 }
    }

    /// A failure of the TLS layer, in words a person can act on.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as NIOSSLError:
            if case .handshakeFailed(let reason) = error {
                let text = "\(reason)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") || text.lowercased().contains("certificate verify failed") {
                    return "the server's certificate is not trusted (certificate verification failed: \(text))"
                }
                return "TLS handshake failed: \(text)"
            }
            return "TLS error: \(error)"
        case let error as NIOSSLExtraError:
            if error == .failedToValidateHostname {
                return "the server's certificate does not name this server (\(error))"
            }
            return "TLS error: \(error)"
        case let error as BoringSSLError:
            return "TLS error: \(error)"
        default:
            return nil
        }
    }
}
