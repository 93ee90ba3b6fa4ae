// swift-tools-version: 6.0
// swiftrace: a bpftrace-language tracer. Targets follow the pipeline, and dependencies point one way:
// Basics -> Syntax -> Sema -> IRGen (LLVM) -> BPF (libbpf) -> Runtime -> Driver -> swiftrace.
// Basics, Syntax and Sema need no LLVM, libbpf, kernel or root.
import PackageDescription

let package = Package(
  name: "swiftrace",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "swiftrace", targets: ["swiftrace"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // MARK: System libraries
    .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
    .systemLibrary(name: "CLibBPF", path: "Sources/CLibBPF", pkgConfig: "libbpf"),
    .systemLibrary(name: "CClang", path: "Sources/CClang"),

    // MARK: SwiftraceBasics
    .target(name: "SwiftraceBasics"),
    .testTarget(name: "SwiftraceBasicsTests", dependencies: ["SwiftraceBasics"]),

    // MARK: SwiftraceSyntax
    .target(name: "SwiftraceSyntax", dependencies: ["SwiftraceBasics"]),
    .testTarget(name: "SwiftraceSyntaxTests", dependencies: ["SwiftraceSyntax", "SwiftraceTestSupport"]),

    // MARK: SwiftraceSema
    .target(name: "SwiftraceSema", dependencies: ["SwiftraceSyntax"]),
    .testTarget(name: "SwiftraceSemaTests", dependencies: ["SwiftraceSema", "SwiftraceTestSupport"]),

    // MARK: SwiftraceClang (C definitions in scripts, through libclang)
    .target(
      name: "SwiftraceClang", dependencies: ["CClang", "SwiftraceSema"],
      swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]),

    // MARK: SwiftraceIRGen
    .target(name: "SwiftraceIRGen", dependencies: ["CLLVM", "SwiftraceSema"]),

    // MARK: SwiftraceBPF
    .target(name: "SwiftraceBPF", dependencies: ["CLibBPF"]),

    // MARK: SwiftraceRuntime
    .target(
      name: "SwiftraceRuntime", dependencies: ["CLibBPF", "SwiftraceBPF", "SwiftraceSema"],
      linkerSettings: [.linkedLibrary("stdc++")]),  // __cxa_demangle for C++ symbol names
    .testTarget(name: "SwiftraceRuntimeTests", dependencies: ["SwiftraceRuntime"]),

    // MARK: SwiftraceDriver
    .target(name: "SwiftraceDriver", dependencies: ["SwiftraceClang", "SwiftraceIRGen", "SwiftraceRuntime"]),

    // MARK: swiftrace
    .executableTarget(
      name: "swiftrace",
      dependencies: [
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        "SwiftraceDriver",
      ]),

    // MARK: Tests
    .target(name: "SwiftraceTestSupport", path: "Tests/SwiftraceTestSupport"),
    .testTarget(
      name: "SwiftraceGoldenTests",
      dependencies: ["SwiftraceDriver", "SwiftraceTestSupport"]),
  ]
)
