// swift-tools-version:6.0
// Praxis: federated communities of practice for public procurement.
//
// No package dependencies by design: only the toolchain plus OpenSSL 3 and SQLite 3 through
// system-library targets. Layers point one way, down (see README "Architecture").
import PackageDescription

let package = Package(
    name: "Praxis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "praxis", targets: ["praxis"]),
        .executable(name: "praxis-bench", targets: ["PraxisBench"]),
    ],
    targets: [
        // C libraries, wrapped as system-library targets (module.modulemap + shim.h).
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),

        // Bottom layers.
        .target(name: "PraxisJSON"),
        .target(name: "PraxisText"),
        .target(name: "PraxisSQLite", dependencies: ["CSQLite"]),
        .target(name: "PraxisHTTP", dependencies: ["COpenSSL"]),
        .target(name: "PraxisCrypto", dependencies: ["COpenSSL", "PraxisJSON", "PraxisHTTP"]),
        .target(name: "PraxisActivityStreams", dependencies: ["PraxisJSON", "PraxisCrypto"]),
        .target(
            name: "PraxisStorage",
            dependencies: ["PraxisSQLite", "PraxisCrypto", "PraxisActivityStreams", "PraxisJSON"]),
        .target(
            name: "PraxisFederation",
            dependencies: ["PraxisStorage", "PraxisHTTP", "PraxisCrypto", "PraxisActivityStreams", "PraxisJSON"]),
        .target(
            name: "PraxisCommunity",
            dependencies: [
                "PraxisFederation", "PraxisStorage", "PraxisCrypto", "PraxisActivityStreams", "PraxisJSON", "PraxisText",
            ]),
        .target(
            name: "PraxisServer",
            dependencies: [
                "PraxisCommunity", "PraxisFederation", "PraxisStorage", "PraxisHTTP", "PraxisCrypto",
                "PraxisActivityStreams", "PraxisJSON", "PraxisText",
            ]),
        .target(
            name: "PraxisCLI",
            dependencies: ["PraxisServer", "PraxisCommunity", "PraxisStorage", "PraxisHTTP", "PraxisCrypto", "PraxisJSON"]),

        // Executables stay thin.
        .executableTarget(name: "praxis", dependencies: ["PraxisCLI"]),
        .executableTarget(
            name: "PraxisBench",
            dependencies: ["PraxisServer", "PraxisHTTP", "PraxisCLI", "PraxisCrypto", "PraxisSQLite", "PraxisJSON"]),

        // Helpers shared by the test targets (temporary nodes, free ports); never linked into the binaries.
        .target(
            name: "PraxisTestSupport",
            dependencies: ["PraxisStorage", "PraxisFederation", "PraxisCommunity", "PraxisCrypto", "PraxisSQLite"],
            path: "Tests/PraxisTestSupport"),

        // Tests: one target per module, plus multi-node integration tests.
        .testTarget(name: "PraxisJSONTests", dependencies: ["PraxisJSON"]),
        .testTarget(name: "PraxisTextTests", dependencies: ["PraxisText"]),
        .testTarget(name: "PraxisSQLiteTests", dependencies: ["PraxisSQLite"]),
        .testTarget(
            name: "PraxisCryptoTests", dependencies: ["PraxisCrypto"],
            resources: [.copy("Vectors")]),
        .testTarget(name: "PraxisHTTPTests", dependencies: ["PraxisHTTP"]),
        .testTarget(
            name: "PraxisStorageTests", dependencies: ["PraxisTestSupport", "PraxisStorage", "PraxisSQLite", "PraxisCrypto"]),
        .testTarget(
            name: "PraxisFederationTests",
            dependencies: ["PraxisTestSupport", "PraxisFederation", "PraxisStorage", "PraxisCrypto", "PraxisJSON", "PraxisActivityStreams"]),
        .testTarget(
            name: "PraxisCommunityTests",
            dependencies: ["PraxisTestSupport", "PraxisCommunity", "PraxisFederation", "PraxisStorage", "PraxisCrypto"]),
        .testTarget(name: "PraxisCLITests", dependencies: ["PraxisTestSupport", "PraxisCLI", "PraxisStorage", "PraxisCommunity"]),
        .testTarget(
            name: "PraxisServerTests",
            dependencies: ["PraxisTestSupport", "PraxisServer", "PraxisCLI", "PraxisStorage", "PraxisFederation", "PraxisHTTP", "PraxisJSON", "PraxisCrypto"]),
        .testTarget(
            name: "PraxisIntegrationTests",
            dependencies: [
                "PraxisTestSupport", "PraxisCLI", "PraxisServer", "PraxisHTTP", "PraxisJSON", "PraxisCrypto",
                "PraxisFederation", "PraxisCommunity", "PraxisStorage", "PraxisSQLite",
            ]),
    ]
)
