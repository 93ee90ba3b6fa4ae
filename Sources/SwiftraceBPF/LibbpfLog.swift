import CLibBPF

/// libbpf reports through one process-wide print callback; collect its lines so that a failed
/// load can show the verifier log instead of libbpf printing it to stderr on its own.
enum LibbpfLog {
  nonisolated(unsafe) static var buffer = ""
  nonisolated(unsafe) static var verbose = false

  static func install() {
    libbpf_set_print { level, format, args in
      guard let format, let args else { return 0 }
      var line = [CChar](repeating: 0, count: 4096)
      let n = swr_vformat(&line, line.count, format, args)
      guard n > 0 else { return 0 }
      let text = String(decoding: line.prefix(Int(min(n, Int32(line.count - 1)))).map { UInt8(bitPattern: $0) },
                        as: UTF8.self)
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
