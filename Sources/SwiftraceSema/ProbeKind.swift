import SwiftraceSyntax

/// One attach point, split and checked: what to attach to and what the program sees. Each case is
/// one provider's attach point; what it means lives in that provider's rules (Providers/), which
/// `rules` hands every question to. A new provider is a case here, a row in `rules` and in
/// `Provider.rules`, and a file in Providers/.
public enum ProbeKind: Codable, Hashable, Sendable {
  case begin
  case end
  /// `self:signal:SIGUSR1`: run by swiftrace (BPF_PROG_TEST_RUN) each time it gets the signal.
  case selfSignal(String)
  /// `test:NAME`, `bench:NAME`: XDP programs run by `--test` (once each) and `--bench` (timed).
  case test(String)
  case bench(String)
  case tracepoint(category: String, event: String)
  /// A raw tracepoint, as a BTF-typed (tp_btf) program: `args` are the TP_PROTO arguments.
  case rawTracepoint(event: String)
  /// `kprobe:[MODULE:]FUNCTION`: the module (bpftrace 0.18 and later) narrows nothing but must exist.
  case kprobe(function: String, module: String? = nil)
  case kretprobe(function: String, module: String? = nil)
  /// `kfunc:FUNCTION` / `kretfunc:FUNCTION` (fentry/fexit): BTF-typed `args`, and `retval` on return.
  case fentry(function: String, module: String? = nil)
  case fexit(function: String, module: String? = nil)
  /// `fentry:bpf:[ID:]FUNCTION` / `fexit:bpf:...`: a function of a running BPF program (program ID,
  /// or every program that has it); expanded to one probe per program.
  case bpfFunction(programID: UInt32?, function: String, isReturn: Bool)
  case uprobe(binary: String, function: String)
  case uretprobe(binary: String, function: String)
  /// Fires on one CPU every `nanoseconds`, or `frequency` times a second (`interval:hz:N`).
  case interval(frequency: UInt64?, nanoseconds: UInt64?)
  /// Fires on every CPU, `frequency` times a second or every `nanoseconds`.
  case profile(frequency: UInt64?, nanoseconds: UInt64?)
  /// `software:EVENT[:COUNT]`, `hardware:EVENT[:COUNT]`: every COUNT events, on every CPU.
  case software(PerfEvent, count: UInt64)
  case hardware(PerfEvent, count: UInt64)
  /// `watchpoint:ADDRESS:LENGTH:MODE`: a hardware breakpoint on data (r, w, rw) or code (x) in the
  /// process of -p or -c.
  case watchpoint(address: UInt64, length: Int, mode: String)
  /// `watchpoint:FUNCTION+argN:LENGTH:MODE` (and `asyncwatchpoint:`): a hardware breakpoint on the
  /// address that argument N holds when the -p/-c process calls FUNCTION of `binary` (its
  /// program), placed then. A synchronous one stops the process until it is placed.
  case functionWatchpoint(binary: String, function: String, argument: Int, length: Int, mode: String, async: Bool)
  /// `usdt:binary:[provider:]name` as written; the checker expands it to its sites.
  case usdtPattern(binary: String, provider: String, name: String)
  /// One USDT site: a uprobe at its address, with its own argument locations.
  case usdt(USDTSite)
  /// `iter:KIND[:PIN]`: a BPF iterator over tasks (and their files or memory maps), run once when
  /// swiftrace reads it; printf writes what reading it returns. PIN pins it to a file instead
  /// (a path, or a name under /sys/fs/bpf).
  case iterator(IteratorKind, pin: String?)

  /// The rules of this attach point's provider: the one place that maps a case to them.
  var rules: any ProviderRules {
    switch self {
    case .begin: return SpecialProbeRules(isBegin: true)
    case .end: return SpecialProbeRules(isBegin: false)
    case .selfSignal(let signal): return SelfSignalRules(signal: signal)
    case .test(let name): return RunnableProbeRules(name: name, isBench: false)
    case .bench(let name): return RunnableProbeRules(name: name, isBench: true)
    case .tracepoint(let category, let event): return TracepointRules(category: category, event: event)
    case .rawTracepoint(let event): return RawTracepointRules(event: event)
    case .kprobe(let f, let module): return KprobeRules(function: f, module: module, isReturn: false)
    case .kretprobe(let f, let module): return KprobeRules(function: f, module: module, isReturn: true)
    case .fentry(let f, let module): return KfuncRules(function: f, module: module, isReturn: false)
    case .fexit(let f, let module): return KfuncRules(function: f, module: module, isReturn: true)
    case .bpfFunction(let id, let f, let isReturn): return BPFFunctionRules(programID: id, function: f, isReturn: isReturn)
    case .uprobe(let b, let f): return UprobeRules(binary: b, function: f, isReturn: false)
    case .uretprobe(let b, let f): return UprobeRules(binary: b, function: f, isReturn: true)
    case .interval(let hz, let ns): return TimerRules(everyCPU: false, frequency: hz, nanoseconds: ns)
    case .profile(let hz, let ns): return TimerRules(everyCPU: true, frequency: hz, nanoseconds: ns)
    case .software(let e, let n): return PerfEventRules(event: e, count: n, hardware: false)
    case .hardware(let e, let n): return PerfEventRules(event: e, count: n, hardware: true)
    case .watchpoint(let a, let l, let m): return WatchpointRules(address: a, length: l, mode: m)
    case .functionWatchpoint(let b, let f, let n, let l, let m, let async):
      return FunctionWatchpointRules(binary: b, function: f, argument: n, length: l, mode: m, async: async)
    case .usdtPattern(let b, let p, let n): return USDTPatternRules(binary: b, usdtProvider: p, probeName: n)
    case .usdt(let site): return USDTSiteRules(site: site)
    case .iterator(let kind, let pin): return IteratorRules(kind: kind, pin: pin)
    }
  }

  /// The canonical spelling, as `probe` prints it.
  public var name: String { rules.name }
  /// The provider of this kind of probe (its declaration: name, aliases, ...).
  public var provider: Provider { rules.provider }
  /// The provider, as users write it (for messages).
  public var providerName: String { provider.name }
  /// Whether this names several attach points through `*` or `?` (expanded by the checker).
  public var isWildcard: Bool { rules.isWildcard }
  /// See `ProviderRules` for these.
  public var firesInProcessContext: Bool { rules.firesInProcessContext }
  public var hasRegisters: Bool { rules.hasRegisters }
  public var runsLastAttachedFirst: Bool { rules.runsLastAttachedFirst }
  public var hasRegisterArguments: Bool { rules.hasRegisterArguments }
  public var hasReturnValue: Bool { rules.hasReturnValue }
  public var argumentAddressSpace: AddressSpace { rules.argumentAddressSpace }
  /// The program's ELF section (its program type for libbpf).
  public var section: String { rules.section }
  /// How the runtime attaches the program.
  public var attachment: Attachment { rules.attachment }
  /// The program or library the probe is in, whose symbols its output may print.
  public var probedFile: String? { rules.probedFile }
  /// What `ctx` points at.
  public var contextType: ContextType { rules.contextType }
  /// arg0..argN are the context's 8-byte slots (BTF-typed programs), not registers.
  public var argumentsInContext: Bool { rules.argumentsInContext }

  /// `add` for `uprobe:bin:add` and `uprobe:bin:add+8`; nil for an address or another kind.
  public var userFunctionName: String? { (rules as? UprobeRules)?.functionName }

  public var isIterator: Bool {
    if case .iterator = self { return true } else { return false }
  }

  public var isUserProbe: Bool { provider.namesFile }

  /// Splits `provider:a:b` (quotes protect colons) and checks the parts with the provider's
  /// rules. Returns an error message for a malformed attach point.
  public static func parse(_ text: String) -> Result<ProbeKind, ProbeParseError> {
    let parts = splitAttachPoint(text)
    guard let providerText = parts.first, !providerText.isEmpty else {
      return .failure(ProbeParseError("empty attach point"))
    }
    guard let provider = Provider(spelling: providerText) else {
      let known = Provider.allCases.map(\.name)
      let hint = closestName(to: providerText, in: known).map { "; did you mean '\($0)'?" } ?? ""
      return .failure(ProbeParseError("unknown probe type '\(providerText)'\(hint)"))
    }
    if (text.contains("*") || text.contains("?")) && !provider.acceptsWildcards {
      return .failure(ProbeParseError("wildcards are supported in tracepoint, rawtracepoint, kprobe, kfunc, uprobe, usdt and function watchpoint attach points, not in \(provider.name)"))
    }
    return provider.rules.parse(Array(parts.dropFirst()), as: provider)
  }

  public static func splitAttachPoint(_ text: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var quoted = false, escaped = false
    for ch in text {
      if escaped {
        current.append(ch)  // `\"` inside quotes: a quote that is part of the name
        escaped = false
      } else if quoted && ch == "\\" {
        escaped = true
      } else if ch == "\"" {
        quoted.toggle()
      } else if ch == ":" && !quoted {
        parts.append(current)
        current = ""
      } else {
        current.append(ch)
      }
    }
    parts.append(current)
    return parts
  }
}

public struct ProbeParseError: Error, Sendable {
  public let message: String
  init(_ message: String) { self.message = message }
}

func isPattern(_ s: String) -> Bool { s.contains("*") || s.contains("?") }

/// Shell-style matching of `*` and `?`, as bpftrace matches attach points.
public func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
  let p = Array(pattern.utf8), t = Array(text.utf8)
  var pi = 0, ti = 0, star = -1, mark = 0
  while ti < t.count {
    if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
      pi += 1
      ti += 1
    } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
      star = pi
      mark = ti
      pi += 1
    } else if star >= 0 {
      pi = star + 1
      mark += 1
      ti = mark
    } else {
      return false
    }
  }
  while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
  return pi == p.count
}
