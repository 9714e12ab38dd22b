// websocketkit-echo: vapor/websocket-kit's `WebSocket` on a bare NIO server (no Vapor
// framework): NIOWebSocketServerUpgrader hands the channel to `WebSocket.server(on:)`,
// whose onBinary callback sends the bytes back. Usage: websocketkit-echo PORT
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WebSocketKit

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]) else {
    print("usage: websocketkit-echo PORT")
    exit(64)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let upgrader = NIOWebSocketServerUpgrader(
    maxFrameSize: 1 << 24,
    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
    upgradePipelineHandler: { channel, _ in
        WebSocket.server(on: channel) { ws in
            ws.onBinary { ws, buffer in ws.send(buffer, opcode: .binary) }
            ws.onText { ws, text in ws.send(text) }
        }
    }
)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
            )
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
print("listening \(channel.localAddress?.port ?? port)")
fflush(nil)  // stdout is a pipe to run.py
try channel.closeFuture.wait()
