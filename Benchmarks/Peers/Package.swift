// swift-tools-version: 6.2
import PackageDescription

// Peer echo servers for `courier bench rtt --raw-echo`: a separate package so that the
// Courier package never depends on a peer framework. See README.md.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "CourierPeers",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nio-echo", targets: ["nio-echo"]),
        .executable(name: "hummingbird-echo", targets: ["hummingbird-echo"]),
        .executable(name: "websocketkit-echo", targets: ["websocketkit-echo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/websocket-kit.git", from: "2.16.2"),
    ],
    targets: [
        // The floor: NIOWebSocketServerUpgrader and one plain ChannelInboundHandler.
        .executableTarget(
            name: "nio-echo",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hummingbird-echo",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: strictSettings
        ),
        // vapor/websocket-kit on a bare NIO server bootstrap, without Vapor the framework.
        .executableTarget(
            name: "websocketkit-echo",
            dependencies: [
                .product(name: "WebSocketKit", package: "websocket-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
