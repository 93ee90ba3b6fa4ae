import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceBasics

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

  /// `command` is split on white space, like bpftrace does, and its program found through PATH;
  /// a program that cannot be found is an error before anything is compiled or attached.
  public init(command: String) throws(BPFError) {
    let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard let program = words.first else { throw .system(what: "empty -c command", errno: EINVAL) }
    guard let path = Self.findProgram(program) else {
      throw .system(what: "-c: cannot run '\(program)'", errno: ENOENT)
    }
    var fds: [Int32] = [0, 0], ready: [Int32] = [0, 0]
    guard swr_pipe2(&fds, O_CLOEXEC) == 0 else { throw .system(what: "pipe", errno: errno) }
    guard swr_pipe2(&ready, O_CLOEXEC) == 0 else {
      let e = errno
      close(fds[0])
      close(fds[1])
      throw .system(what: "pipe", errno: e)
    }
    var cargs: [UnsafeMutablePointer<CChar>?] = words.map { $0.rawCStringCopy() } + [nil]
    defer { cargs.forEach { free($0) } }
    let child = path.withRawCString { swr_spawn_held($0, &cargs, environ, fds[0], fds[1], ready[0], ready[1]) }
    let spawnError = errno
    close(fds[0])
    close(ready[1])
    // Wait until the child is past its own setup (EOF once it closes its end, or dies), then
    // asleep in its read of the hold pipe: none of its calls may start after the probes attach.
    if child > 0 {
      var byte: UInt8 = 0
      while read(ready[0], &byte, 1) < 0 && errno == EINTR {}
      Self.waitUntilAsleep(child)
    }
    close(ready[0])
    guard child > 0 else {
      close(fds[1])
      throw .system(what: "cannot start '\(command)'", errno: spawnError)
    }
    pid = child
    executablePath = path
    releaseFD = fds[1]
    exitFD = swr_pidfd_open(child)
  }

  /// Polls /proc/PID/stat until the process sleeps (`S`) or is gone, for at most a second.
  static func waitUntilAsleep(_ pid: Int32) {
    for _ in 0..<10_000 {
      guard let stat = readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return }
      let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
      if state != "R" { return }
      usleep(100)
    }
  }

  /// An executable file: `program` itself when it names a path, else the first in PATH.
  public static func findProgram(_ program: String) -> String? {
    func executable(_ path: String) -> Bool { path.withRawCString { access($0, X_OK) } == 0 }
    if program.contains("/") { return executable(program) ? program : nil }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") where executable("\(dir)/\(program)") {
      return "\(dir)/\(program)"
    }
    return nil
  }

  deinit {
    terminate()
    if exitFD >= 0 { close(exitFD) }
  }

  /// Lets the child exec its command.
  public func release() {
    guard releaseFD >= 0 else { return }
    _ = "g".withCString { write(releaseFD, $0, 1) }
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
  // Only stdin, stdout and stderr reach the command: not the metrics socket, BPF objects, epoll
  // instances or files of ours that a library opened without O_CLOEXEC.
  swr_spawn_close_from(&actions, 3)
  var cargs: [UnsafeMutablePointer<CChar>?] = (["/bin/sh"] + arguments).map { $0.rawCStringCopy() } + [nil]
  defer { cargs.forEach { free($0) } }
  var child: pid_t = 0
  let rc = posix_spawn(&child, "/bin/sh", &actions, nil, &cargs, environ)
  return (child, rc)
}
