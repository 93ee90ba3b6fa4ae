import SwiftraceSyntax

/// What `-l [PATTERN]` asks for, as each provider's listing reads it. A pattern is matched
/// against whole probe names with `*` and `?`; a pattern without a provider (`sys_enter_open*`)
/// is matched against the last part of each name.
public struct ProbeQuery {
  /// The pattern with its provider spelled in full (`t:syscalls:*` lists what `tracepoint:syscalls:*`
  /// does); nil for everything.
  public let pattern: String?
  /// `-v`: each probe's arguments or fields below it.
  public let verbose: Bool
  /// `-p PID`: user probes are listed for that process's files.
  public let forProcess: Bool

  public init(pattern: String?, verbose: Bool, forProcess: Bool) {
    self.pattern = pattern.flatMap { text -> String? in
      guard !text.isEmpty else { return nil }
      guard let colon = text.firstIndex(of: ":"), let provider = Provider(spelling: text[..<colon]) else { return text }
      return provider.name + text[colon...]
    }
    self.verbose = verbose
    self.forProcess = forProcess
  }

  /// The pattern's provider part, as written (it may be a pattern itself).
  public var providerText: String? {
    guard let pattern, pattern.contains(":") else { return nil }
    return String(pattern.prefix { $0 != ":" })
  }

  /// The pattern's parts, split as attach points are.
  public var parts: [String] { pattern.map { ProbeKind.splitAttachPoint($0) } ?? [] }

  public func matches(_ name: String) -> Bool {
    guard let pattern else { return true }
    if !pattern.contains(":") { return wildcardMatch(pattern, String(name.split(separator: ":").last ?? "")) }
    return wildcardMatch(pattern, name)
  }

  /// Whether probes of LISTED are asked for.
  public func wants(_ listed: Provider) -> Bool {
    guard let providerText else { return true }
    return wildcardMatch(providerText, listed.name) || listed.aliases.contains(providerText)
  }

  /// For providers that name a file: whether the query names them (without a provider, user
  /// probes are listed for -p's process only).
  public func names(_ listed: Provider) -> Bool { providerText.map { _ in wants(listed) } ?? forProcess }
}
