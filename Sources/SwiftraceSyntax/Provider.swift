/// The probe types, each declared once: its name, its short aliases, whether its attach point
/// names a file (so a `/` belongs to the attach point rather than starting a predicate), and
/// whether it takes wildcards. The lexer, the checker and `-l` read them here; every switch over
/// them is exhaustive.
public enum Provider: String, CaseIterable, Sendable {
  case begin = "BEGIN", end = "END"
  /// `self:signal:SIGUSR1` (bpftrace 0.22 and later): run by swiftrace when it gets the signal.
  case selfEvent = "self"
  /// `test:NAME` and `bench:NAME` (bpftrace 0.23 and later): run by `--test` and `--bench` only.
  case test, bench
  // In the order `-l` lists them.
  case tracepoint, rawtracepoint, kprobe, kretprobe, kfunc, kretfunc, iter
  case interval, profile, software, hardware, uprobe, uretprobe, usdt, watchpoint, asyncwatchpoint

  public var name: String { rawValue }

  public var aliases: [String] {
    switch self {
    case .begin, .end, .iter, .selfEvent, .test, .bench: return []
    case .tracepoint: return ["t"]
    case .rawtracepoint: return ["rt"]
    case .kprobe: return ["k"]
    case .kretprobe: return ["kr"]
    case .kfunc: return ["fentry", "f"]
    case .kretfunc: return ["fexit", "fr"]
    case .uprobe: return ["u"]
    case .uretprobe: return ["ur"]
    case .interval: return ["i"]
    case .profile: return ["p"]
    case .software: return ["s"]
    case .hardware: return ["h"]
    case .usdt: return ["U"]
    case .watchpoint: return ["w"]
    case .asyncwatchpoint: return ["aw"]
    }
  }

  /// The provider a name or an alias spells (`t` is `tracepoint`). Names are case-insensitive
  /// (`begin`, `Tracepoint`), as in bpftrace 0.18 and later; aliases are not (`U` is usdt, `u`
  /// uprobe).
  public init?(spelling: some StringProtocol) {
    let text = String(spelling)
    guard let found = Provider.allCases.first(where: { $0.rawValue == text || $0.aliases.contains(text) })
      ?? Provider.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() })
    else { return nil }
    self = found
  }

  /// The name `probetype` gives (bpftrace 0.18 and later): `special` for BEGIN and END, and
  /// newer bpftrace's names for kfunc and kretfunc.
  public var probeTypeName: String {
    switch self {
    case .begin, .end, .selfEvent, .test, .bench: return "special"
    case .kfunc: return "fentry"
    case .kretfunc: return "fexit"
    case .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .uprobe, .uretprobe, .interval, .profile, .software,
      .hardware, .usdt, .watchpoint, .asyncwatchpoint, .iter:
      return rawValue
    }
  }

  /// uprobe, uretprobe and usdt name a binary: `/` is part of their attach points.
  public var namesFile: Bool {
    switch self {
    case .uprobe, .uretprobe, .usdt: return true
    case .begin, .end, .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .kfunc, .kretfunc, .interval, .profile,
      .software, .hardware, .watchpoint, .asyncwatchpoint, .iter, .selfEvent, .test, .bench: return false
    }
  }

  /// Whether `*` and `?` may stand in its attach points.
  public var acceptsWildcards: Bool {
    switch self {
    case .tracepoint, .rawtracepoint, .kprobe, .kretprobe, .kfunc, .kretfunc, .uprobe, .uretprobe, .usdt, .watchpoint,
      .asyncwatchpoint:
      return true
    case .begin, .end, .interval, .profile, .software, .hardware, .iter, .selfEvent, .test, .bench: return false
    }
  }
}
