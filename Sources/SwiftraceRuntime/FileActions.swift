import Foundation
import SwiftraceBPF

/// cat() and system(): work done in userspace when their event arrives. Problems go to stderr and
/// the trace goes on, as in bpftrace.
enum FileActions {
  /// The first `limit` bytes of the file at `path`; "" (and a message on stderr) if it cannot be read.
  static func cat(_ path: String, limit: Int) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      FileOutput.standardError.write("swiftrace: cat: cannot open '\(path)': \(String(cString: strerror(errno)))\n")
      return ""
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min(4096, limit - bytes.count)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Runs `command` with /bin/sh and returns what it printed, as bpftrace's system() does.
  static func system(_ command: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
      FileOutput.standardError.write("swiftrace: system: cannot run '\(command)': \(error)\n")
      return ""
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
