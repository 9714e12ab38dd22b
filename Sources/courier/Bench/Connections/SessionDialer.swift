import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Opens many authenticated sessions in waves for `courier bench connections`: session
/// `i` (counted over the whole benchmark, whichever process opens it) goes to server
/// `i mod servers` from source address 127.0.0.(1 + `i mod sourceAddresses`), so the
/// sessions are spread evenly however they are split between processes.
struct SessionDialer {
    let host: String
    let ports: [Int]
    let token: String
    let sourceAddresses: Int
    /// Connection attempts in flight at once.
    let wave: Int

    struct Result {
        var connections: [RawCourierConnection] = []
        /// The server (index into `ports`) of each connection.
        var servers: [Int] = []
        var failed = 0
        var firstFailure: String?
        var seconds = 0.0
    }

    /// Connects sessions `first ..< first + count`; `progress` is called after each wave.
    func dial(
        first: Int, count: Int, group: any EventLoopGroup, heartbeats: NIOLockedValueBox<Int>, received: NIOLockedValueBox<Int>,
        progress: (Result) -> Void
    ) async throws -> Result {
        let sources = try (1...sourceAddresses).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
        var result = Result()
        result.connections.reserveCapacity(count)
        result.servers.reserveCapacity(count)
        let clock = ContinuousClock()
        let started = clock.now
        var attempted = 0
        while attempted < count {
            let size = min(wave, count - attempted)
            let start = first + attempted
            attempted += size
            await withTaskGroup(of: Swift.Result<(Int, RawCourierConnection), any Error>.self) { tasks in
                for index in start..<(start + size) {
                    let source = sources[index % sources.count]
                    let server = index % ports.count
                    let port = ports[server]
                    tasks.addTask {
                        do {
                            return .success((server, try await RawCourierConnection.connect(
                                host: host, port: port, token: token, subscribeTo: nil, received: received, group: group,
                                heartbeats: heartbeats, source: source
                            )))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                for await outcome in tasks {
                    switch outcome {
                    case .success(let (server, connection)):
                        result.connections.append(connection)
                        result.servers.append(server)
                    case .failure(let error):
                        result.failed += 1
                        if result.firstFailure == nil { result.firstFailure = "\(error)" }
                    }
                }
            }
            result.seconds = (clock.now - started).seconds
            progress(result)
        }
        return result
    }
}

extension SessionDialer.Result {
    /// Sessions still open, per server.
    func openByServer(servers count: Int) -> [Int] {
        var open = Array(repeating: 0, count: count)
        for (connection, server) in zip(connections, servers) where connection.channel?.isActive == true { open[server] += 1 }
        return open
    }
}
