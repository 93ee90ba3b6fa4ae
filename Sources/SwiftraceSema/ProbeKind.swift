import SwiftraceSyntax

/// One attach point, split and checked: what to attach to and what the program sees.
/// Providers are one table (bpftrace's `PROBE_LIST`); a new provider is a case here and an attacher
/// in the runtime.
public enum ProbeKind: Hashable, Sendable {
  case begin
  case end
  case tracepoint(category: String, event: String)
  /// A raw tracepoint, as a BTF-typed (tp_btf) program: `args` are the TP_PROTO arguments.
  case rawTracepoint(event: String)
  case kprobe(function: String)
  case kretprobe(function: String)
  /// `kfunc:FUNCTION` / `kretfunc:FUNCTION` (fentry/fexit): BTF-typed `args`, and `retval` on return.
  case fentry(function: String)
  case fexit(function: String)
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

  /// The provider's own name for a name or an alias (`t` is `tracepoint`); nil for neither.
  public static func canonicalProvider(_ name: String) -> String? { Provider(spelling: name)?.name }

  /// The canonical spelling, as `probe` prints it.
  public var name: String {
    switch self {
    case .begin: return "BEGIN"
    case .end: return "END"
    case .tracepoint(let c, let e): return "tracepoint:\(c):\(e)"
    case .rawTracepoint(let e): return "rawtracepoint:\(e)"
    case .kprobe(let f): return "kprobe:\(f)"
    case .kretprobe(let f): return "kretprobe:\(f)"
    case .fentry(let f): return "kfunc:\(f)"
    case .fexit(let f): return "kretfunc:\(f)"
    case .uprobe(let b, let f): return "uprobe:\(b):\(f)"
    case .uretprobe(let b, let f): return "uretprobe:\(b):\(f)"
    case .interval(let hz, let ns): return hz.map { "interval:hz:\($0)" } ?? "interval:\(Self.periodSpelling(ns ?? 0))"
    case .profile(let hz, let ns): return hz.map { "profile:hz:\($0)" } ?? "profile:\(Self.periodSpelling(ns ?? 0))"
    case .software(let e, let n): return "software:\(e.name):\(n)"
    case .hardware(let e, let n): return "hardware:\(e.name):\(n)"
    case .watchpoint(let a, let l, let m): return "watchpoint:0x\(String(a, radix: 16)):\(l):\(m)"
    case .functionWatchpoint(let b, let f, let n, let l, let m, let async):
      // bpftrace's spelling: the argument's number appears only when it is not 0.
      return "\(async ? "asyncwatchpoint" : "watchpoint"):\(b):\(f)\(n != 0 ? ":\(n)" : ""):\(l):\(m)"
    case .usdtPattern(let b, let p, let n): return "usdt:\(b):\(p):\(n)"
    case .usdt(let site): return "usdt:\(site.binary):\(site.provider):\(site.name)"
    case .iterator(let kind, let pin): return "iter:\(kind.rawValue)" + (pin.map { ":\($0)" } ?? "")
    }
  }

  private static func periodSpelling(_ ns: UInt64) -> String {
    if ns % 1_000_000_000 == 0 { return "s:\(ns / 1_000_000_000)" }
    if ns % 1_000_000 == 0 { return "ms:\(ns / 1_000_000)" }
    if ns % 1_000 == 0 { return "us:\(ns / 1_000)" }
    return "ns:\(ns)"
  }

  /// The provider of this kind of probe (its declaration: name, aliases, ...).
  public var provider: Provider {
    switch self {
    case .begin: return .begin
    case .end: return .end
    case .tracepoint: return .tracepoint
    case .rawTracepoint: return .rawtracepoint
    case .kprobe: return .kprobe
    case .kretprobe: return .kretprobe
    case .fentry: return .kfunc
    case .fexit: return .kretfunc
    case .uprobe: return .uprobe
    case .uretprobe: return .uretprobe
    case .interval: return .interval
    case .profile: return .profile
    case .software: return .software
    case .hardware: return .hardware
    case .watchpoint: return .watchpoint
    case .functionWatchpoint(_, _, _, _, _, let async): return async ? .asyncwatchpoint : .watchpoint
    case .usdt, .usdtPattern: return .usdt
    case .iterator: return .iter
    }
  }

  /// The provider, as users write it (for messages).
  public var providerName: String { provider.name }

  /// Whether this names several attach points through `*` or `?` (expanded by the checker).
  public var isWildcard: Bool {
    switch self {
    case .tracepoint(let c, let e): return isPattern(c) || isPattern(e)
    case .kprobe(let f), .kretprobe(let f), .fentry(let f), .fexit(let f): return isPattern(f)
    case .uprobe(let b, let f), .uretprobe(let b, let f): return isPattern(f) && !isPattern(b)
    case .usdtPattern: return true  // one attach point may name several sites
    case .functionWatchpoint(_, let f, _, _, _, _): return isPattern(f)
    case .begin, .end, .rawTracepoint, .interval, .profile, .software, .hardware, .watchpoint, .usdt, .iterator:
      return false
    }
  }

  /// Kernel functions whose return probes can deadlock the machine (the kretprobe handler takes
  /// the same locks); bpftrace refuses them too.
  public static let bannedKretprobes: Set<String> = [
    "_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "queued_spin_lock_slowpath",
  ]

  /// Attach points that name a function of the -p/-c process's program, found by the checker.
  public var needsTargetProgram: Bool {
    if case .functionWatchpoint = self { return true } else { return false }
  }

  /// `add` for `uprobe:bin:add` and `uprobe:bin:add+8`; nil for an address.
  public var userFunctionName: String? {
    switch self {
    case .uprobe(_, let f), .uretprobe(_, let f):
      let name = String(f.prefix { $0 != "+" })
      return name.isEmpty || name.first!.isNumber ? nil : name
    case .begin, .end, .tracepoint, .rawTracepoint, .kprobe, .kretprobe, .fentry, .fexit, .interval, .profile,
      .software, .hardware, .watchpoint, .functionWatchpoint, .usdtPattern, .usdt, .iterator:
      return nil
    }
  }

  /// Whether the probe runs in the context of whatever task triggered it, so that `-p PID` can
  /// filter on it (BEGIN and END run in swiftrace; interval in whatever task the timer hits).
  public var firesInProcessContext: Bool {
    switch self {
    case .begin, .end, .interval, .iterator: return false
    case .tracepoint, .rawTracepoint, .kprobe, .kretprobe, .fentry, .fexit, .uprobe, .uretprobe, .profile, .software,
      .hardware, .watchpoint, .functionWatchpoint, .usdtPattern, .usdt:
      return true
    }
  }

  /// A `struct pt_regs` context (perf events start with one): what `reg()` reads.
  public var hasRegisters: Bool {
    switch self {
    case .kprobe, .kretprobe, .uprobe, .uretprobe, .usdt, .usdtPattern, .profile, .interval, .software, .hardware,
      .watchpoint, .functionWatchpoint:
      return true
    case .begin, .end, .tracepoint, .rawTracepoint, .fentry, .fexit, .iterator:
      return false
    }
  }

  /// Whether the kernel runs the programs on one attach point last attached first (measured on
  /// 6.18: uprobes, uretprobes, usdt, raw tracepoints and perf events are; tracepoints are not;
  /// kprobes and fentry as bpftrace found them). Such probes attach in reverse script order, so
  /// that every attach point runs its probes in the order the script lists them.
  public var runsLastAttachedFirst: Bool {
    switch self {
    case .uprobe, .uretprobe, .usdt, .usdtPattern, .rawTracepoint, .kprobe, .fentry, .software, .hardware,
      .profile, .interval, .watchpoint, .functionWatchpoint:
      return true
    case .begin, .end, .tracepoint, .kretprobe, .fexit, .iterator:
      return false
    }
  }

  public var isIterator: Bool {
    if case .iterator = self { return true } else { return false }
  }

  public var isUserProbe: Bool { provider.namesFile }

  /// The same kind of probe on another target: what expanding a wildcard or a library name makes.
  func with(binary: String, function: String) -> ProbeKind {
    if case .uretprobe = self { return .uretprobe(binary: binary, function: function) }
    return .uprobe(binary: binary, function: function)
  }

  /// Which of arg0..argN and retval the context offers.
  public var hasRegisterArguments: Bool {
    switch self {
    case .kprobe, .uprobe, .rawTracepoint, .usdt, .usdtPattern, .fentry, .fexit: return true
    case .begin, .end, .tracepoint, .kretprobe, .uretprobe, .interval, .profile, .software, .hardware, .watchpoint,
      .functionWatchpoint, .iterator:
      return false
    }
  }

  public var hasReturnValue: Bool {
    switch self {
    case .kretprobe, .uretprobe, .fexit: return true
    case .begin, .end, .tracepoint, .rawTracepoint, .kprobe, .fentry, .uprobe, .interval, .profile, .software,
      .hardware, .watchpoint, .functionWatchpoint, .usdtPattern, .usdt, .iterator:
      return false
    }
  }

  /// Where pointers made from this probe's arguments (or any address in it) point: user memory in
  /// user probes and system call tracepoints, kernel memory in kernel probes, and unknown where
  /// the probe runs in either context (bpftrace's choices, but for system calls' user pointers).
  public var argumentAddressSpace: AddressSpace {
    switch self {
    case .uprobe, .uretprobe, .usdt, .usdtPattern, .functionWatchpoint: return .user
    case .tracepoint(let category, _): return category == "syscalls" ? .user : .kernel
    case .rawTracepoint, .kprobe, .kretprobe, .fentry, .fexit, .iterator: return .kernel
    case .begin, .end, .interval, .profile, .software, .hardware, .watchpoint: return .unknown
    }
  }

  /// Splits `provider:a:b` (quotes protect colons) and checks the parts. Returns an error message
  /// for a malformed attach point.
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
    let args = Array(parts.dropFirst())
    if (text.contains("*") || text.contains("?")) && !provider.acceptsWildcards {
      return .failure(ProbeParseError("wildcards are supported in tracepoint, kprobe, uprobe, usdt and function watchpoint attach points, not in \(provider.name)"))
    }
    func need(_ count: Int, _ form: String) -> ProbeParseError? {
      // "probe type requires N argument(s)": bpftrace's words, which scripts look for.
      args.count == count && args.allSatisfy({ !$0.isEmpty }) ? nil
        : ProbeParseError("\(provider.name) probe type requires \(count) argument\(count == 1 ? "" : "s"): \(provider.name) probes are written '\(form)'")
    }
    switch provider {
    case .begin, .end:
      if !args.isEmpty { return .failure(ProbeParseError("\(provider.name) takes no arguments")) }
      return .success(provider == .begin ? .begin : .end)
    case .tracepoint:
      if let e = need(2, "tracepoint:category:event") { return .failure(e) }
      return .success(.tracepoint(category: args[0], event: args[1]))
    case .rawtracepoint:
      // `rawtracepoint:EVENT`, or `rawtracepoint:MODULE:EVENT` (the module only narrows the search)
      guard (1...2).contains(args.count), let event = args.last, !event.isEmpty else {
        return .failure(ProbeParseError("rawtracepoint probes are written 'rawtracepoint:event'"))
      }
      return .success(.rawTracepoint(event: event))
    case .kfunc, .kretfunc:
      // `kfunc:FUNCTION`, or `kfunc:MODULE:FUNCTION` (vmlinux only, as BTF is read from vmlinux)
      guard (1...2).contains(args.count), let f = args.last, !f.isEmpty else {
        return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):function'"))
      }
      return .success(provider == .kfunc ? .fentry(function: f) : .fexit(function: f))
    case .kprobe, .kretprobe:
      if let e = need(1, "\(provider.name):function") { return .failure(e) }
      return .success(provider == .kprobe ? .kprobe(function: args[0]) : .kretprobe(function: args[0]))
    case .uprobe, .uretprobe:
      if let e = need(2, "\(provider.name):binary:function") { return .failure(e) }
      return .success(provider == .uprobe
        ? .uprobe(binary: args[0], function: args[1]) : .uretprobe(binary: args[0], function: args[1]))
    case .watchpoint, .asyncwatchpoint:
      let form = "watchpoint:ADDRESS:LENGTH:MODE or watchpoint:FUNCTION+argN:LENGTH:MODE, with LENGTH 1, 2, 4 or 8 and MODE r, w, rw or x"
      guard args.count == 3 else { return .failure(ProbeParseError("\(provider.name) probe type requires 3 arguments: \(form)")) }
      guard let length = Int(args[1]), [1, 2, 4, 8].contains(length), ["r", "w", "rw", "x"].contains(args[2]) else {
        return .failure(ProbeParseError("\(provider.name) probes are written '\(form)'"))
      }
      let async = provider == .asyncwatchpoint
      if let plus = args[0].firstIndex(of: "+") {
        let function = String(args[0][..<plus]), argument = args[0][args[0].index(after: plus)...]
        guard !function.isEmpty, argument.hasPrefix("arg"), let n = Int(argument.dropFirst(3)), (0...5).contains(n) else {
          return .failure(ProbeParseError("invalid function argument in '\(args[0])': write FUNCTION+argN with N from 0 to 5"))
        }
        return .success(.functionWatchpoint(binary: "", function: function, argument: n, length: length, mode: args[2],
                                            async: async))
      }
      guard !async else {
        return .failure(ProbeParseError("asyncwatchpoint probes watch a function's argument: 'asyncwatchpoint:FUNCTION+argN:LENGTH:MODE'"))
      }
      let text = args[0]
      guard let address = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text) else {
        return .failure(ProbeParseError("watchpoint probes are written '\(form)'"))
      }
      return .success(.watchpoint(address: address, length: length, mode: args[2]))
    case .iter:
      guard (1...2).contains(args.count), let kind = IteratorKind(rawValue: args[0]) else {
        let kinds = IteratorKind.allCases.map(\.rawValue).joined(separator: ", ")
        return .failure(ProbeParseError("iter probes are written 'iter:KIND' or 'iter:KIND:PIN', with KIND one of \(kinds)"))
      }
      if args.count == 2 && args[1].isEmpty { return .failure(ProbeParseError("the pin file of an iter probe is empty")) }
      return .success(.iterator(kind, pin: args.count == 2 ? args[1] : nil))
    case .usdt:
      // An empty binary means every file of the -p process; an empty provider, any provider.
      guard (2...3).contains(args.count), let name = args.last, !name.isEmpty else {
        return .failure(ProbeParseError("usdt probes are written 'usdt:binary:[provider:]name'"))
      }
      let provider = args.count == 3 && !args[1].isEmpty ? args[1] : "*"
      return .success(.usdtPattern(binary: args[0], provider: provider, name: name))
    case .software, .hardware:
      let isHardware = provider == .hardware
      guard (1...2).contains(args.count), !args[0].isEmpty else {
        return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):event[:count]'"))
      }
      guard let event = PerfEvent.find(args[0], hardware: isHardware) else {
        let names = (isHardware ? PerfEvent.hardware : PerfEvent.software).flatMap { [$0.name] + ($0.alias.map { [$0] } ?? []) }
        let hint = closestName(to: args[0], in: names).map { "; did you mean '\($0)'?" } ?? ""
        return .failure(ProbeParseError("unknown \(provider.name) event '\(args[0])'\(hint)"))
      }
      var count = event.defaultCount
      if args.count == 2 {
        guard let n = UInt64(args[1]), n > 0 else {
          return .failure(ProbeParseError("the count of a \(provider.name) probe must be a number above 0"))
        }
        count = n
      }
      return .success(isHardware ? .hardware(event, count: count) : .software(event, count: count))
    case .interval, .profile:
      let isProfile = provider == .profile
      guard args.count == 2, let n = UInt64(args[1]), n > 0 else {
        return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):UNIT:N' with UNIT one of hz, s, ms, us, ns and N > 0"))
      }
      let scale: UInt64
      switch args[0] {
      case "s": scale = 1_000_000_000
      case "ms": scale = 1_000_000
      case "us": scale = 1_000
      case "ns": scale = 1
      case "hz":
        return .success(isProfile ? .profile(frequency: n, nanoseconds: nil) : .interval(frequency: n, nanoseconds: nil))
      default:
        return .failure(ProbeParseError("unknown \(provider.name) unit '\(args[0])'; use hz, s, ms, us or ns"))
      }
      let (ns, overflow) = n.multipliedReportingOverflow(by: scale)
      if overflow { return .failure(ProbeParseError("\(provider.name) period is too long")) }
      return .success(isProfile ? .profile(frequency: nil, nanoseconds: ns) : .interval(frequency: nil, nanoseconds: ns))
    }
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
