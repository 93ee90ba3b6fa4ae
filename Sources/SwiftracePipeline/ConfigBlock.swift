import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax

/// A script's config block (`config = { max_strlen = 100; }`, bpftrace 0.18 and later) sets the
/// same keys as the BPFTRACE_* variables, through their declarations (ConfigKey); the environment
/// wins where both set one, as in bpftrace. Each problem is an error at its key or value.
extension Compilation {
  /// The configuration PROGRAM's config block makes of this one.
  func applyingConfigBlock(of program: Program) -> Configuration {
    var configuration = configuration
    for assignment in program.config {
      if ConfigKey.retiredNames.contains(assignment.key.lowercased()) {
        diagnostics.warning(.retiredConfigKey(assignment.key), at: assignment.keyRange)
        continue
      }
      guard let key = ConfigKey.named(assignment.key) else {
        let known = ConfigKey.allCases.compactMap(\.configName)
        diagnostics.error(.unknownConfigKey(assignment.key, suggestion: closestName(to: assignment.key.lowercased(), in: known)),
                          at: assignment.keyRange)
        continue
      }
      do {
        try configuration.set(key, scriptValue: assignment.value)
      } catch {
        let range = key.configName == nil ? assignment.keyRange : assignment.valueRange
        diagnostics.error(.badConfigValue(error.description), at: range)
      }
    }
    return configuration
  }
}

extension DiagnosticMessage {
  static func unknownConfigKey(_ key: String, suggestion: String?) -> Self {
    Self(.configUnknownKey, "unknown config key '\(key)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
  }
  static func badConfigValue(_ why: String) -> Self { Self(.configValue, why) }
  /// Newer bpftrace's words.
  static func retiredConfigKey(_ key: String) -> Self { Self(.configUnknownKey, "\(key) is deprecated and has no effect") }
}
