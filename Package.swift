// swift-tools-version: 6.0
// swiftrace: a bpftrace-language tracer. Targets follow the pipeline, and dependencies point one way:
// Basics -> Syntax -> Sema -> IRGen (LLVM) -> BPF (libbpf) -> Runtime -> Driver -> swiftrace.
// Basics, Syntax and Sema need no LLVM, libbpf, kernel or root.
import PackageDescription

/// `llvm-config-14 --link-static --libs bpfcodegen bpfdesc bpfinfo bpfasmparser core analysis bitwriter passes object target mc support`
let staticLLVM = """
  -lLLVMPasses -lLLVMObjCARCOpts -lLLVMCoroutines -lLLVMBPFAsmParser -lLLVMBPFCodeGen -lLLVMSelectionDAG -lLLVMipo -lLLVMInstrumentation -lLLVMVectorize -lLLVMLinker -lLLVMIRReader -lLLVMAsmParser -lLLVMFrontendOpenMP -lLLVMBPFDesc -lLLVMBPFInfo -lLLVMAsmPrinter -lLLVMDebugInfoMSF -lLLVMCodeGen -lLLVMTarget -lLLVMScalarOpts -lLLVMInstCombine -lLLVMAggressiveInstCombine -lLLVMTransformUtils -lLLVMBitWriter -lLLVMAnalysis -lLLVMProfileData -lLLVMDebugInfoDWARF -lLLVMObject -lLLVMTextAPI -lLLVMMCParser -lLLVMMC -lLLVMDebugInfoCodeView -lLLVMBitReader -lLLVMCore -lLLVMRemarks -lLLVMBitstreamReader -lLLVMBinaryFormat -lLLVMSupport -lLLVMDemangle
  """.split(separator: " ").map(String.init)

let package = Package(
  name: "swiftrace",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "swiftrace", targets: ["swiftrace"]),
    .executable(name: "swiftrace-run", targets: ["swiftrace-run"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // MARK: System libraries
    .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
    .systemLibrary(name: "CLibBPF", path: "Sources/CLibBPF", pkgConfig: "libbpf"),
    .systemLibrary(name: "CSyscalls", path: "Sources/CSyscalls"),
    .systemLibrary(name: "CClang", path: "Sources/CClang"),
    .systemLibrary(name: "CLibDW", path: "Sources/CLibDW"),

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
    // libclang, opened with dlopen on first use (scripts without C definitions never load it).
    .target(name: "CClangLoader", cSettings: [.unsafeFlags(["-I/usr/lib/llvm-14/include"])],
            linkerSettings: [.linkedLibrary("dl")]),
    .target(
      name: "SwiftraceClang", dependencies: ["CClang", "CClangLoader", "SwiftraceSema"],
      swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]),

    // MARK: SwiftraceDebugInfo (DWARF of user binaries, through elfutils' libdw and libdwfl)
    .target(name: "SwiftraceDebugInfo", dependencies: ["CLibDW", "SwiftraceSema"]),

    // MARK: SwiftraceIRGen
    // LLVM linked statically, only the components BPF code generation needs: loading the shared
    // libLLVM-14.so costs about 16 ms and 40 MB before main (see Docs/Performance.md).
    .target(
      name: "SwiftraceIRGen", dependencies: ["CLLVM", "SwiftraceSema"],
      linkerSettings: [.unsafeFlags(["-L/usr/lib/llvm-14/lib"] + staticLLVM + ["-lstdc++", "-lz", "-ltinfo", "-lrt", "-ldl", "-lm"])]),

    // MARK: SwiftraceBPF
    .target(name: "SwiftraceBPF", dependencies: ["CLibBPF", "CSyscalls", "SwiftraceBasics"]),

    // MARK: SwiftraceRuntime
    .target(
      name: "SwiftraceRuntime", dependencies: ["CLibBPF", "CLibDW", "CSyscalls", "SwiftraceBPF", "SwiftraceSema", "SwiftraceDebugInfo"],
      linkerSettings: [.linkedLibrary("stdc++")]),  // __cxa_demangle for C++ symbol names
    .testTarget(name: "SwiftraceRuntimeTests", dependencies: ["SwiftraceRuntime"]),

    // MARK: SwiftraceMetrics (--metrics: the maps as OpenMetrics over HTTP, served by SwiftNIO)
    .target(
      name: "SwiftraceMetrics",
      dependencies: [
        "CLibBPF", "SwiftraceRuntime",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ]),

    // MARK: SwiftraceDriver
    .target(name: "SwiftracePipeline",
            dependencies: ["SwiftraceClang", "SwiftraceDebugInfo", "SwiftraceIRGen", "SwiftraceRuntime"]),
    .testTarget(name: "SwiftracePipelineTests",
                dependencies: ["SwiftracePipeline", "SwiftraceRuntime", "SwiftraceSema", "SwiftraceTestSupport"]),
    .target(name: "SwiftraceDriver", dependencies: ["SwiftracePipeline", "SwiftraceMetrics", "SwiftraceRunner"]),

    // MARK: SwiftraceRunner (runs a compiled plan: swiftrace's runs, the cache's, swiftrace-run's)
    // No LLVM and no libclang below it: swiftrace-run ships to machines without a compiler.
    .target(name: "SwiftraceRunner", dependencies: ["SwiftraceRuntime", "SwiftraceMetrics"]),
    .executableTarget(
      name: "swiftrace-run",
      dependencies: ["SwiftraceRunner"],
      // lld, as swiftrace: 30 KB smaller than the default linker's output. Not DT_RELR (-z
      // pack-relative-relocs, 0.4 MB less): hosts would need glibc 2.36, and the Swift runtime
      // asks only 2.34 (RHEL 9, Ubuntu 22.04).
      linkerSettings: [.unsafeFlags(["-use-ld=lld"])]),

    // MARK: swiftrace
    .executableTarget(
      name: "swiftrace",
      dependencies: [
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        "SwiftraceBasics", "SwiftraceDriver", "SwiftraceMetrics",
      ],
      // lld places the code a run executes together (scripts/hot-layout.py writes
      // scripts/hot-symbols.order, a build input rather than a source): 21 MB of the
      // binary were resident because page faults map 64 KB around them and the touched pages
      // were spread over all of LLVM.
      linkerSettings: [.unsafeFlags([
        "-use-ld=lld",
        "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/hot-symbols.order",
        "-Xlinker", "--no-warn-symbol-ordering",
        // 45 000 relative relocations as a compact bitmap (DT_RELR, glibc >= 2.36) instead of
        // 1 MB of .rela.dyn that the dynamic loader reads at every start.
        "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
      ])]),

    // MARK: Fuzzing (scripts/fuzz.sh)
    .target(name: "SwiftraceFuzzing", dependencies: ["SwiftracePipeline"]),
    .executableTarget(name: "swiftrace-fuzz", dependencies: ["SwiftraceFuzzing"]),
    .executableTarget(name: "swiftrace-fuzz-elf", dependencies: ["SwiftraceFuzzing"]),

    // MARK: Tests
    .target(name: "SwiftraceTestSupport", dependencies: ["SwiftraceBasics"], path: "Tests/SwiftraceTestSupport"),
    .testTarget(
      name: "SwiftraceGoldenTests",
      dependencies: ["CLibBPF", "SwiftraceDriver", "SwiftraceTestSupport"]),
  ]
)
