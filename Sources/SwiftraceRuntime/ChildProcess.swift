import CLibBPF
import Glibc
import SwiftraceBPF

/// The `-c CMD` child. It is started first and held at a pipe, so that its pid is known when the
/// program is compiled (`cpid`) and it runs only once the probes are attached.
public final class ChildProcess {
  public let pid: pid_t
  /// The program the command runs, found like the shell finds it.
  public let executablePath: String?
  private var releaseFD: Int32
  /// Becomes readable when the child exits (pidfd).
  public let exitFD: Int32
  private var reaped = false

  /// `command` is split on white space, like bpftrace does, and found through PATH.
  public init(command: String) throws(BPFError) {
    let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard !words.isEmpty else { throw .system(what: "empty -c command", errno: EINVAL) }
    var fds: [Int32] = [0, 0]
    guard swr_pipe2(&fds, O_CLOEXEC) == 0 else { throw .system(what: "pipe", errno: errno) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 3)
    // The shell waits for "go" on fd 3; if swiftrace dies first, the pipe closes and it gives up.
    let script = "read -r go <&3 && [ \"$go\" = go ] || exit 127; exec 3<&-; exec \"$@\""
    let (child, rc) = spawnShell(["-c", script, "sh"] + words, &actions)
    close(fds[0])
    guard rc == 0 else {
      close(fds[1])
      throw .system(what: "cannot start '\(command)'", errno: rc)
    }
    pid = child
    executablePath = words[0].contains("/") ? words[0] : UserBinaries.resolve(words[0])
    releaseFD = fds[1]
    exitFD = swr_pidfd_open(child)
  }

  deinit {
    terminate()
    if exitFD >= 0 { close(exitFD) }
  }

  /// Lets the child exec its command.
  public func release() {
    guard releaseFD >= 0 else { return }
    _ = "go\n".withCString { write(releaseFD, $0, 3) }
    close(releaseFD)
    releaseFD = -1
  }

  /// Reaps the child if it has exited; true once it is gone.
  public func reapIfExited() -> Bool {
    if reaped { return true }
    var status: Int32 = 0
    if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
    return reaped
  }

  /// Stops a child that outlives the trace (SIGTERM, as bpftrace does), or one never released.
  public func terminate() {
    if releaseFD >= 0 {
      close(releaseFD)  // never released: it exits without running the command
      releaseFD = -1
    } else if !reapIfExited() {
      kill(pid, SIGTERM)
    }
    if !reaped {
      var status: Int32 = 0
      _ = waitpid(pid, &status, 0)
      reaped = true
    }
  }
}

/// Starts /bin/sh with `arguments` (after argv[0]) and `actions`: its pid and posix_spawn's
/// result (0, or the errno).
func spawnShell(_ arguments: [String], _ actions: inout posix_spawn_file_actions_t) -> (pid: pid_t, rc: Int32) {
  var cargs: [UnsafeMutablePointer<CChar>?] = (["/bin/sh"] + arguments).map { strdup($0) } + [nil]
  defer { cargs.forEach { free($0) } }
  var child: pid_t = 0
  let rc = posix_spawn(&child, "/bin/sh", &actions, nil, &cargs, environ)
  return (child, rc)
}
