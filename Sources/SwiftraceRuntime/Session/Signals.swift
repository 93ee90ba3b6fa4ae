import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceBasics

/// SIGINT, SIGTERM, SIGHUP and SIGUSR1 become a byte (the signal's number) on a pipe that the
/// event loop polls, so the loop can stop cleanly (run END, print maps, detach) instead of dying
/// inside a handler, or print the maps (SIGUSR1) and go on.
public enum Signals {
  nonisolated(unsafe) static var writeFD: Int32 = -1
  nonisolated(unsafe) static var readFD: Int32 = -1
  /// Set by the handler of a stopping signal at once, so that work in the middle of a batch of
  /// events (a backlog of system() commands) can see it before the loop polls the pipe again.
  nonisolated(unsafe) static var stopPending = false
  /// The thread that writes the output (the one that installed the handlers).
  nonisolated(unsafe) static var mainThread = pthread_self()

  /// Idempotent: the driver installs them before compiling, the session again (harmlessly).
  public static func install() {
    if readFD < 0 {
      var fds: [Int32] = [0, 0]
      swr_pipe2(&fds, O_CLOEXEC | O_NONBLOCK)
      readFD = fds[0]
      writeFD = fds[1]
    }
    mainThread = pthread_self()
    var wake = sigaction()
    wake.__sigaction_handler.sa_handler = { _ in }
    sigemptyset(&wake.sa_mask)
    sigaction(SIGURG, &wake, nil)
    for sig in [SIGINT, SIGTERM, SIGHUP, SIGUSR1] {
      // Without SA_RESTART: a write blocked on output nobody reads returns EINTR, so that it can
      // give up (FileOutput.abandonBlockedWrites).
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { sig in
        // A second stopping signal before the first was acted on (a compile that does not end,
        // say) ends the process at once; its descriptors close and its probes detach with it.
        if sig != SIGUSR1 && Signals.stopPending { _exit(128 + sig) }
        if sig != SIGUSR1 {
          Signals.stopPending = true
          FileOutput.abandonBlockedWrites = true
          // The kernel may have picked another thread for the signal: interrupt the main
          // thread's blocked write too (SIGURG does nothing else).
          if pthread_equal(pthread_self(), Signals.mainThread) == 0 { pthread_kill(Signals.mainThread, SIGURG) }
        }
        var byte = UInt8(truncatingIfNeeded: sig)
        _ = write(Signals.writeFD, &byte, 1)
      }
      sigemptyset(&action.sa_mask)
      action.sa_flags = 0
      sigaction(sig, &action, nil)
    }
    signal(SIGPIPE, SIG_IGN)
    // A parent may start us with these blocked (Foundation's Process does): unblock them, or
    // Ctrl-C and kill would never reach the handler.
    var set = sigset_t()
    sigemptyset(&set)
    for sig in [SIGINT, SIGTERM, SIGHUP, SIGUSR1] { sigaddset(&set, sig) }
    sigprocmask(SIG_UNBLOCK, &set, nil)
  }

  /// Reads what the handlers wrote: whether a stopping signal came, and whether SIGUSR1 did.
  static func take() -> (stop: Bool, printMaps: Bool) {
    var stop = false, printMaps = false
    var buffer = [UInt8](repeating: 0, count: 64)
    while true {
      let n = read(readFD, &buffer, buffer.count)
      guard n > 0 else { break }
      for byte in buffer[0..<n] {
        if Int32(byte) == SIGUSR1 { printMaps = true } else { stop = true }
      }
    }
    return (stop, printMaps)
  }

  /// After the loop: a second Ctrl-C during the final printing kills at once, as in bpftrace.
  static func restoreDefaults() {
    for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    signal(SIGUSR1, SIG_IGN)  // the maps are about to print anyway
  }
}
