import Glibc

/// The one spelling of the severity words, for diagnostics located in the script and for messages
/// that have no place in it (system problems, usage errors, runtime warnings). They are bpftrace's
/// `ERROR:` and `WARNING:`, which users' scripts and harnesses grep for.
extension Diagnostic.Severity {
  public var label: String {
    switch self {
    case .error: return "ERROR"
    case .warning: return "WARNING"
    case .note: return "NOTE"
    }
  }
}

/// How messages on standard error look, set once by the driver before anything is printed:
/// BPFTRACE_COLOR (auto, always, never) and `--no-warnings`.
public enum MessageStyle {
  nonisolated(unsafe) public static var colored = false
  nonisolated(unsafe) public static var showsWarnings = true

  /// The severity word, in clang's colors when colored: errors red, warnings magenta, notes cyan.
  static func label(_ severity: Diagnostic.Severity) -> String {
    guard colored else { return severity.label }
    let color: String
    switch severity {
    case .error: color = "31"
    case .warning: color = "35"
    case .note: color = "36"
    }
    return "\u{1B}[1;\(color)m\(severity.label)\u{1B}[0m"
  }

  /// The caret line's marks, green when colored.
  static func caret(_ marks: String) -> String { colored ? "\u{1B}[1;32m\(marks)\u{1B}[0m" : marks }

  /// BPFTRACE_COLOR's rule: `always`, `never`, or `auto` (colored when standard error is a
  /// terminal that is not `dumb`, and NO_COLOR is not set).
  public static func setColor(_ mode: String) {
    switch mode {
    case "always": colored = true
    case "never": colored = false
    default:
      let term = getenv("TERM").map { String(cString: $0) } ?? ""
      colored = isatty(2) != 0 && term != "dumb" && !term.isEmpty && getenv("NO_COLOR") == nil
    }
  }
}

public enum SystemMessage {
  /// `ERROR: message` and a newline: a problem that ends the run and has no line in the script.
  public static func error(_ message: String) -> String { "\(MessageStyle.label(.error)): \(message)\n" }
  /// `WARNING: message` and a newline: the run goes on.
  public static func warning(_ message: String) -> String {
    MessageStyle.showsWarnings ? "\(MessageStyle.label(.warning)): \(message)\n" : ""
  }
}
