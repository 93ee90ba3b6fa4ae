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

public enum SystemMessage {
  /// `ERROR: message` and a newline: a problem that ends the run and has no line in the script.
  public static func error(_ message: String) -> String { "\(Diagnostic.Severity.error.label): \(message)\n" }
  /// `WARNING: message` and a newline: the run goes on.
  public static func warning(_ message: String) -> String { "\(Diagnostic.Severity.warning.label): \(message)\n" }
}
