import SwiftraceBasics
import SwiftraceFuzzing

#if SWIFTRACE_LIBFUZZER
/// libFuzzer's entry point for ELF files (scripts/fuzz-elf.sh builds this with -sanitize=fuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  ELFFuzzPipeline.run(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}
#else
import SwiftraceRuntime

/// Without libFuzzer: reads the files given as arguments as the fuzzer would (replaying a crash).
@main struct FuzzELFReplay {
  static func main() {
    for path in CommandLine.arguments.dropFirst() {
      guard let bytes = PosixFile(path: path)?.readToEnd() else { continue }
      bytes.withUnsafeBytes { ELFFuzzPipeline.run($0) }
    }
    ELFFuzzPipeline.cleanUp()
  }
}
#endif
