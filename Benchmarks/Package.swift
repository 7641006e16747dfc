// swift-tools-version: 6.1
import PackageDescription

/// Benchmarks of the delivery core, kept out of the main package so that building the
/// bridge never pulls in the benchmark harness. Run from this folder:
/// `swift package --scratch-path ../.build-bench benchmark`.
let package = Package(
    name: "message-bridge-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "DeliveryBenchSupport",
            dependencies: [
                .product(name: "BridgeCore", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "delivery-rate",
            dependencies: ["DeliveryBenchSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "DeliveryCore",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "DeliveryBenchSupport",
            ],
            path: "Benchmarks/DeliveryCore",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
