import Glibc

/// System problems while loading or attaching, each with what went wrong and a hint.
public enum BPFError: Error, CustomStringConvertible {
  case open(errno: Int32, log: String)
  /// The kernel's verifier rejected a program; `log` is its whole log.
  case verifier(program: String, errno: Int32, log: String)
  case attach(probe: String, errno: Int32, reason: String, hint: String?)
  case notSupported(probe: String, feature: String, hint: String)
  case system(what: String, errno: Int32)
  /// The kernel refused BPF altogether: not root, or unprivileged BPF disabled.
  case permission(what: String, errno: Int32)

  public var description: String {
    switch self {
    case .open(let e, let log):
      return "cannot open the BPF object: \(errorString(e))" + (log.isEmpty ? "" : "\n" + tail(log, lines: 6))
    case .verifier(let program, let e, let log):
      return "the kernel rejected probe program '\(program)' (\(errorString(e)))\n" + tail(log, lines: 12)
        + "\nhint: run with -v to see the whole verifier log"
    case .attach(let probe, let e, let reason, let hint):
      // errno 0: the reason is swiftrace's own, not a system call's.
      return "cannot attach \(probe): \(reason)\(e == 0 ? "" : " (\(errorString(e)))")" + (hint.map { "\nhint: \($0)" } ?? "")
    case .notSupported(let probe, let feature, let hint):
      return "cannot attach \(probe): \(feature); \(hint)"
    case .permission(let what, let e):
      return "\(what): \(errorString(e)); swiftrace must run as root (or with CAP_BPF and CAP_PERFMON)"
    case .system(let what, let e):
      var message = "\(what): \(errorString(e))"
      if e == EPERM { message += "\nhint: swiftrace needs root (CAP_BPF and CAP_PERFMON)" }
      return message
    }
  }

  /// The whole verifier log, for -v.
  public var fullLog: String? {
    switch self {
    case .verifier(_, _, let log), .open(_, let log): return log
    default: return nil
    }
  }
}

public func errorString(_ e: Int32) -> String {
  String(cString: strerror(e))
}

func tail(_ text: String, lines: Int) -> String {
  let all = text.split(separator: "\n", omittingEmptySubsequences: false)
  let kept = all.suffix(lines)
  let omitted = all.count - kept.count
  return (omitted > 0 ? "... (\(omitted) lines omitted)\n" : "") + kept.joined(separator: "\n")
}
