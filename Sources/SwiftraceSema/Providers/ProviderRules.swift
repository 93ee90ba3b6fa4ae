import SwiftraceBasics
import SwiftraceSyntax

/// One provider's attach points, in a file of its own (as ply keeps each provider in one file):
/// the grammar of what follows the provider's name, the facts every stage asks of such a probe,
/// its program's section and how the runtime attaches it. `ProbeKind` stores the attach point;
/// `ProbeKind.rules` hands it to its provider's rules, and every property of `ProbeKind` reads
/// them, so a new provider answers each of these questions in its own file or does not compile.
protocol ProviderRules {
  /// The parts of an attach point after the provider's name (`syscalls`, `sys_enter_openat`),
  /// for the providers `Provider.rules` sends here; the kind, or why not.
  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError>

  /// The canonical spelling, as `probe` prints it.
  var name: String { get }
  var provider: Provider { get }
  /// It names several attach points through `*` or `?` (expanded by the checker).
  var isWildcard: Bool { get }
  /// The probe runs in the context of whatever task triggered it, so that `-p PID` can filter on
  /// it (BEGIN and END run in swiftrace; interval in whatever task the timer hits).
  var firesInProcessContext: Bool { get }
  /// A `struct pt_regs` context (perf events start with one): what `reg()` reads.
  var hasRegisters: Bool { get }
  /// The kernel runs the programs on one attach point last attached first (measured on 6.18:
  /// uprobes, uretprobes, usdt, raw tracepoints and perf events do; tracepoints do not; kprobes and
  /// fentry as bpftrace found them). Such probes attach in reverse script order, so that every
  /// attach point runs its probes in the order the script lists them.
  var runsLastAttachedFirst: Bool { get }
  /// arg0..argN are the probed function's arguments.
  var hasRegisterArguments: Bool { get }
  /// `retval` is the probed function's return value.
  var hasReturnValue: Bool { get }
  /// Where pointers made from the probe's arguments (or any address in it) point: user memory in
  /// user probes and system call tracepoints, kernel memory in kernel probes, and unknown where
  /// the probe runs in either context (bpftrace's choices, but for system calls' user pointers).
  var argumentAddressSpace: AddressSpace { get }
  /// The program's ELF section, which tells libbpf its program type.
  var section: String { get }
  /// How the runtime attaches the program.
  var attachment: Attachment { get }
  /// The program or library the probe is in, whose symbols its output may print.
  var probedFile: String? { get }
  /// What `ctx` points at.
  var contextType: ContextType { get }
  /// arg0..argN are the context's 8-byte slots (BTF-typed programs), not registers.
  var argumentsInContext: Bool { get }

  /// The attach points this one names on the machine: wildcards, library names and usdt
  /// patterns expanded; itself when there is nothing to expand. Empty when nothing matches.
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem>
  /// What an expanded probe's context offers: a tracepoint's format, BTF or DWARF arguments, a
  /// return type.
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem>
  /// What to say when the attach point (written TEXT) names nothing here.
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String

  /// `-l`: writes the probes of this provider that the machine offers and QUERY asks for, a
  /// line at a time, with `-v` their arguments or fields below each.
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void)
}

/// What providers read from the machine to expand, type and list their attach points.
public struct ProbeSources {
  let tracepoints: any TracepointCatalog
  let kernelTypes: (any KernelTypeCatalog)?
  let machine: any MachineFacts
  let userDebugInfo: (any UserDebugInfo)?
  /// `-p` or `-c` gives a process to trace, which runs `targetExecutable`.
  let hasTargetProcess: Bool
  let targetExecutable: String?

  public init(tracepoints: any TracepointCatalog, kernelTypes: (any KernelTypeCatalog)?, machine: any MachineFacts,
              userDebugInfo: (any UserDebugInfo)?, hasTargetProcess: Bool, targetExecutable: String?) {
    self.tracepoints = tracepoints
    self.kernelTypes = kernelTypes
    self.machine = machine
    self.userDebugInfo = userDebugInfo
    self.hasTargetProcess = hasTargetProcess
    self.targetExecutable = targetExecutable
  }
}

extension Provider {
  /// `-l`: the listings of the providers INCLUDE takes, in the providers' order, each once.
  public static func list(_ query: ProbeQuery, in sources: ProbeSources, including include: (Provider) -> Bool = { _ in true },
                          write: (String) -> Void) {
    var listed: [ObjectIdentifier] = []
    for provider in allCases where include(provider) {
      let rules = provider.rules
      guard !listed.contains(ObjectIdentifier(rules)) else { continue }
      listed.append(ObjectIdentifier(rules))
      rules.list(query, in: sources, write: write)
    }
  }
}

/// Why an attach point cannot be used here: an error at the attach point, in its provider's words.
typealias ProbeProblem = DiagnosticMessage

/// What a probe's context offers beyond its kind.
struct ProbeContext {
  var format: TracepointFormat?
  var arguments: [(name: String, type: CType)]?
  var returnType: CType?
}

extension ProviderRules {
  /// "no PROVIDER matches 'TEXT'", which most providers say.
  func noMatch(_ text: String) -> String { "no \(provider.name) matches '\(text)'" }
}

extension Provider {
  /// The rules that read this provider's attach points: the table row a new provider adds.
  var rules: any ProviderRules.Type {
    switch self {
    case .begin, .end: return SpecialProbeRules.self
    case .selfEvent: return SelfSignalRules.self
    case .test, .bench: return RunnableProbeRules.self
    case .tracepoint: return TracepointRules.self
    case .rawtracepoint: return RawTracepointRules.self
    case .kprobe, .kretprobe: return KprobeRules.self
    case .kfunc, .kretfunc: return KfuncRules.self
    case .uprobe, .uretprobe: return UprobeRules.self
    case .interval, .profile: return TimerRules.self
    case .software, .hardware: return PerfEventRules.self
    case .watchpoint, .asyncwatchpoint: return WatchpointRules.self
    case .usdt: return USDTPatternRules.self
    case .iter: return IteratorRules.self
    }
  }
}

/// What a probe's context pointer (`ctx`) is, for the checker.
public enum ContextType: Sendable {
  /// Kernel memory, whatever the probe's arguments point at.
  case opaque
  /// A perf event program's `struct bpf_perf_event_data_kern`.
  case perfEventData
  /// A record of 8-byte fields the checker knows (an iterator's context).
  case fields
}

/// How the runtime attaches a probe's program: the kernel's mechanisms, which providers share.
public enum Attachment: Sendable {
  /// Nothing to attach: BEGIN and END run once, by BPF_PROG_TEST_RUN; usdt patterns are expanded
  /// into sites by the checker.
  case none
  case tracepoint(category: String, event: String)
  /// libbpf attaches by the program's section: tp_btf, fentry, fexit.
  case bySection
  case kprobe(function: String, isReturn: Bool)
  /// FUNCTION may carry `+OFFSET`, or be an address.
  case uprobe(binary: String, function: String, isReturn: Bool)
  case usdt(USDTSite)
  /// A perf event on CPU 0 only or on every CPU, every `period` events (or nanoseconds) or
  /// `frequency` times a second; `config` is the event (nil: the CPU clock).
  case perfEvent(everyCPU: Bool, period: UInt64?, frequency: UInt64?, hardware: Bool, config: UInt64?)
  /// A hardware breakpoint in the -p/-c process.
  case watchpoint(address: UInt64, length: Int, mode: String)
  /// A uprobe on FUNCTION reports the address to watch (the object's setup program for the probe).
  case functionWatchpoint(binary: String, function: String)
  /// Attached by section, and read when the trace runs.
  case iterator
  /// fentry/fexit on a function of a running BPF program: the target is set before loading (the
  /// verifier checks the program against it), then attached by section.
  case bpfProgram(id: UInt32, function: String)
}

extension ProbeParseError {
  /// "PROVIDER probe type requires N argument(s)": bpftrace's words, which scripts look for;
  /// nil when PARTS are COUNT and none is empty.
  static func requires(_ count: Int, _ form: String, _ provider: Provider, _ parts: [String]) -> ProbeParseError? {
    parts.count == count && parts.allSatisfy({ !$0.isEmpty }) ? nil
      : ProbeParseError("\(provider.name) probe type requires \(count) argument\(count == 1 ? "" : "s"): \(provider.name) probes are written '\(form)'")
  }
}
