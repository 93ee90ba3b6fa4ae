import SwiftraceBasics
import SwiftraceFuzzing

#if SWIFTRACE_LIBFUZZER
/// libFuzzer's entry point (scripts/fuzz.sh builds this with -sanitize=fuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  FuzzPipeline.run(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}
#else
import SwiftraceRuntime

/// Without libFuzzer: runs the files given as arguments through the same pipeline (replaying a
/// crash or a corpus).
@main struct FuzzReplay {
  static func main() {
    for path in CommandLine.arguments.dropFirst() {
      guard let bytes = PosixFile(path: path)?.readToEnd() else { continue }
      bytes.withUnsafeBytes { FuzzPipeline.run($0) }
    }
  }
}
#endif
