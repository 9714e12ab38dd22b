// hummingbird-echo: hummingbird-websocket's HTTP/1 upgrade, echoing every binary (and
// text) message with the idiomatic `inbound.messages(maxSize:)` loop. Usage: hummingbird-echo PORT
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]) else {
    print("usage: hummingbird-echo PORT")
    exit(64)
}

var logger = Logger(label: "hummingbird-echo")
logger.logLevel = .warning
let router = Router()
let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(configuration: .init(maxFrameSize: 1 << 24)) { _, _, _ in
        .upgrade([:]) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 24) {
                switch message {
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                case .text(let text): try await outbound.write(.text(text))
                }
            }
        }
    },
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        print("listening \(channel.localAddress?.port ?? port)")
        fflush(nil)  // stdout is a pipe to run.py
    },
    // One event loop thread, like the other peers and `courier serve --threads 1`.
    eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)),
    logger: logger
)
try await app.runService()
