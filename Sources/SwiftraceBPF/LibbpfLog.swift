import CLibBPF
import Glibc
import SwiftraceBasics

/// libbpf reports through one process-wide print callback; collect its lines so that a failed
/// load can show the verifier log instead of libbpf printing it to stderr on its own.
enum LibbpfLog {
  nonisolated(unsafe) static var buffer = ""
  nonisolated(unsafe) static var verbose = false

  static func install() {
    libbpf_set_print { level, format, args in
      guard let format, let args else { return 0 }
      guard let formatted = swr_vformat_alloc_impl(format, args) else { return 0 }
      let text = String(cString: formatted)
      free(formatted)
      if LibbpfLog.verbose {
        FileOutput.standardError.write("libbpf: " + text)
      }
      if level != LIBBPF_DEBUG { LibbpfLog.buffer += text }
      return 0
    }
  }

  static func take() -> String {
    defer { buffer = "" }
    return buffer
  }
}
