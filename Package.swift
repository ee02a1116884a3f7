// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "RealtimeCoaching",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "coaching", targets: ["FCGIApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // JSON values, parser and writer: no dependencies, so the fuzzer and every layer share them.
        .target(name: "JSON"),
        .target(
            name: "MariaDB",
            dependencies: ["CMariaDB", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Coaching",
            dependencies: [
                "JSON",
                "MariaDB",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Experiments",
            dependencies: [
                "Coaching",
                "JSON",
                "MariaDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "FCGIApp",
            dependencies: [
                "CFastCGI",
                "Coaching",
                "Experiments",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "CoachingTests", dependencies: ["Coaching", "JSON"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "JSON"]),
        .testTarget(name: "FCGIAppTests", dependencies: ["FCGIApp", "JSON"]),
    ]
)
