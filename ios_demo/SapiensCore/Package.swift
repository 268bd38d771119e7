// swift-tools-version:5.9
// The app's processing core: Foundation only, so `swift test` runs on any machine with a Swift toolchain.
import PackageDescription

let package = Package(
    name: "SapiensCore",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "SapiensCore", targets: ["SapiensCore"]),
    ],
    targets: [
        .target(name: "SapiensCore"),
        .testTarget(name: "SapiensCoreTests", dependencies: ["SapiensCore"]),
    ]
)
