// swift-tools-version: 6.2
import PackageDescription

// Micro-benchmarks for Courier, kept in their own package so that the root package
// does not depend on ordo-one/benchmark. Run from this folder:
//
//     swift package --disable-sandbox benchmark
//
// See README.md beside this file.
let package = Package(
    name: "CourierBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The Courier package itself. `name:` lets the targets below say "Courier"
        // whatever the folder of the clone is called (its identity is that folder's name).
        .package(name: "Courier", path: ".."),
        // MallocInterposer: the malloc counters on Swift 6.3+ (no jemalloc needed).
        // Naming the traits replaces the package's defaults, which also leaves out
        // its Linux-only RuntimeInterposer (ARC counters), not used here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "CourierWireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CourierWire", package: "Courier"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/CourierWireBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // <sys/epoll.h> for the fan-out benchmark's reader threads.
        .target(name: "CEpoll", path: "Benchmarks/CEpoll"),
        // The server's fan-out: an in-process CourierServer, N raw-socket subscribers read
        // by plain threads that allocate nothing, so the malloc counter sees the server.
        .executableTarget(
            name: "CourierFanoutBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CourierServer", package: "Courier"),
                .product(name: "CourierAuth", package: "Courier"),
                .product(name: "CourierWire", package: "Courier"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "CEpoll",
            ],
            path: "Benchmarks/CourierFanoutBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
