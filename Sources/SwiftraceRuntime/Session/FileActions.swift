import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceBasics

/// cat() and system(): work done in userspace when their event arrives. Problems go to stderr and
/// the trace goes on, as in bpftrace.
enum FileActions {
  /// The first `limit` bytes of the file at `path`; "" (and a message on stderr) if it cannot be read.
  static func cat(_ path: String, limit: Int) -> String {
    guard let file = PosixFile(path: path) else {
      // bpftrace's words, which scripts look for.
      FileOutput.standardError.write(SystemMessage.error("failed to open file '\(path)': \(String(cString: strerror(errno)))"))
      return ""
    }
    return String(rawBytes: file.read(at: 0, count: limit))
  }

  /// Runs `command` with /bin/sh and returns what it printed, as bpftrace's system() does.
  static func system(_ command: String) -> String {
    var fds: [Int32] = [0, 0]
    guard swr_pipe2(&fds, O_CLOEXEC) == 0 else {
      FileOutput.standardError.write(SystemMessage.error("system: pipe: \(String(cString: strerror(errno)))"))
      return ""
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    let (child, rc) = spawnShell(["-c", command], &actions)
    close(fds[1])
    let output = PosixFile.adopting(fds[0])
    guard rc == 0 else {
      FileOutput.standardError.write(SystemMessage.error("system: cannot run '\(command)': \(String(cString: strerror(rc)))"))
      return ""
    }
    let bytes = output.readToEnd() ?? []
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    return String(rawBytes: bytes)
  }
}
