// swift-tools-version: 6.2
// A separate package so that the root package's `swift build` / `swift test` never
// see the fuzzing flags. Build and run it with `scripts/fuzz.sh SECONDS`
// (see Fuzz/README.md).
import PackageDescription

let package = Package(
    name: "CourierFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The Courier package itself (the repository root). The explicit name keeps the
        // product reference below independent of the directory the repository is cloned
        // into.
        .package(name: "Courier", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // Declares libFuzzer's `LLVMFuzzerRunDriver` for the harness's entry point.
        .target(name: "CLibFuzzer"),
        // Build with `-sanitize=fuzzer,address -parse-as-library`: libFuzzer's driver
        // calls `LLVMFuzzerTestOneInput` for every input.
        .executableTarget(
            name: "CourierWireFuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "CourierWire", package: "Courier"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
