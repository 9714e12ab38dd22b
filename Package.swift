// swift-tools-version: 6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Courier",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CourierWire", targets: ["CourierWire"]),
        .library(name: "CourierCompression", targets: ["CourierCompression"]),
        .library(name: "CourierSession", targets: ["CourierSession"]),
        .library(name: "CourierInspect", targets: ["CourierInspect"]),
        .executable(name: "courier", targets: ["courier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Layer 1: bytes <-> typed messages. No I/O, no clock.
        .target(
            name: "CourierWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Layer 2: zlib through a system-library target.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "CourierCompression",
            dependencies: ["CZlib", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Layer 3: protocol state machines as value types with an injected clock.
        .target(
            name: "CourierSession",
            dependencies: ["CourierWire"],
            swiftSettings: strictSettings
        ),
        // Human and JSON renderings of decoded messages (used by `courier inspect` and the vector tests).
        .target(
            name: "CourierInspect",
            dependencies: ["CourierWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "courier",
            dependencies: [
                "CourierWire",
                "CourierInspect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierWireTests",
            dependencies: ["CourierWire", "CourierInspect", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
    ]
)
