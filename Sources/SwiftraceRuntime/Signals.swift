import CLibBPF
import Glibc

/// SIGINT, SIGTERM and SIGHUP become a byte on a pipe that the event loop polls, so the loop can
/// stop cleanly (run END, print maps, detach) instead of dying inside a handler.
enum Signals {
  nonisolated(unsafe) static var writeFD: Int32 = -1
  nonisolated(unsafe) static var readFD: Int32 = -1

  static func install() {
    if readFD < 0 {
      var fds: [Int32] = [0, 0]
      swr_pipe2(&fds, O_CLOEXEC | O_NONBLOCK)
      readFD = fds[0]
      writeFD = fds[1]
    }
    for sig in [SIGINT, SIGTERM, SIGHUP] {
      signal(sig) { _ in
        var byte: UInt8 = 1
        _ = write(Signals.writeFD, &byte, 1)
      }
    }
    signal(SIGPIPE, SIG_IGN)
    // A parent may start us with these blocked (Foundation's Process does): unblock them, or
    // Ctrl-C and kill would never reach the handler.
    var set = sigset_t()
    sigemptyset(&set)
    for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
    sigprocmask(SIG_UNBLOCK, &set, nil)
  }

  /// After the loop: a second Ctrl-C during the final printing kills at once, as in bpftrace.
  static func restoreDefaults() {
    for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
  }
}
