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
        .library(name: "CourierAuth", targets: ["CourierAuth"]),
        .library(name: "CourierServer", targets: ["CourierServer"]),
        .library(name: "CourierInspect", targets: ["CourierInspect"]),
        .library(name: "CourierClient", targets: ["CourierClient"]),
        .library(name: "CourierDatasets", targets: ["CourierDatasets"]),
        .library(name: "CourierChaos", targets: ["CourierChaos"]),
        .executable(name: "courier", targets: ["courier"]),
        // Preloaded into the server by `courier bench` (LD_PRELOAD) to count its mallocs;
        // nothing links it. `swift build -c release --product CourierMallocCounter`.
        .library(name: "CourierMallocCounter", type: .dynamic, targets: ["CourierMallocCounter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // `courier serve --config`: JSON file < environment < flags (default trait JSON only).
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // `GET /metrics` of `courier serve --admin-port`; the library itself only uses swift-metrics.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
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
        // Deterministic message streams (ticker, sensor, document) for benchmarks and dictionary training.
        .target(
            name: "CourierDatasets",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierCompressionTests",
            dependencies: ["CourierCompression", "CourierDatasets", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Layer 3: protocol state machines as value types with an injected clock.
        .target(
            name: "CourierSession",
            dependencies: [
                "CourierWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // Proofs of identity: HMAC challenge proofs, JWT verification (jwt-kit), resume tokens (HKDF).
        .target(
            name: "CourierAuth",
            dependencies: [
                "CourierWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // SwiftNIO server: HTTP upgrade, connection handler, sessions, router, echo endpoint.
        .target(
            name: "CourierServer",
            dependencies: [
                "CourierWire",
                "CourierCompression",
                "CourierSession",
                "CourierAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // A TCP proxy that injects network faults (latency, bandwidth, chunks, resets, black
        // holes, outages) from a seeded, deterministic plan: `courier chaos`, the fault tests, `bench soak`.
        .target(
            name: "CourierChaos",
            dependencies: [
                "CourierDatasets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierChaosTests",
            dependencies: ["CourierChaos", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Human and JSON renderings of decoded messages (used by `courier inspect` and the vector tests).
        .target(
            name: "CourierInspect",
            dependencies: ["CourierWire", "CourierCompression", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // malloc, calloc, realloc… counted, then passed on to glibc; the count is written to
        // $COURIER_MALLOC_COUNT_FILE on SIGUSR2. Only for `courier bench`: no target may
        // depend on it (whatever linked it would count its own mallocs).
        .target(name: "CourierMallocCounter"),
        .executableTarget(
            name: "courier",
            dependencies: [
                "CourierWire",
                "CourierInspect",
                "CourierAuth",
                "CourierServer",
                "CourierSession",
                "CourierClient",
                "CourierCompression",
                "CourierDatasets",
                "CourierChaos",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // `courier bench rtt --client loop` over wss:// (already a dependency of CourierClient).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierWireTests",
            dependencies: ["CourierWire", "CourierInspect", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierServerTests",
            dependencies: [
                "CourierServer", "CourierClient", "CourierAuth", "CourierWire", "CourierSession", "CourierCompression", "CourierChaos",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // Loads the built libCourierMallocCounter.so with dlopen (no dependency: see above).
        .testTarget(
            name: "CourierMallocCounterTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierSessionTests",
            dependencies: ["CourierSession", "CourierWire"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierAuthTests",
            dependencies: [
                "CourierAuth", "CourierWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // SwiftNIO client: WebSocket upgrade, batching connection handler, reconnect and resume.
        .target(
            name: "CourierClient",
            dependencies: [
                "CourierCompression",
                "CourierWire",
                "CourierSession",
                "CourierAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CourierClientTests",
            dependencies: [
                "CourierClient",
                "CourierWire",
                "CourierSession",
                "CourierAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
