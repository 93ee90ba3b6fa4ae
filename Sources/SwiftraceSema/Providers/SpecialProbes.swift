import SwiftraceSyntax

/// `BEGIN` and `END`: run once by swiftrace itself (BPF_PROG_TEST_RUN of a raw tracepoint
/// program), before the probes attach and after they stop.
struct SpecialProbeRules: ProviderRules {
  let isBegin: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    if !parts.isEmpty { return .failure(ProbeParseError("\(provider.name) takes no arguments")) }
    return .success(provider == .begin ? .begin : .end)
  }

  var name: String { isBegin ? "BEGIN" : "END" }
  var provider: Provider { isBegin ? .begin : .end }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { false }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { false }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "raw_tp" }
  var attachment: Attachment { .none }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> { .success([isBegin ? .begin : .end]) }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // swiftrace runs them; nothing to list
}

/// `self:signal:SIGUSR1` (bpftrace 0.22 and later): run by swiftrace (BPF_PROG_TEST_RUN, as BEGIN)
/// each time it gets the signal, instead of printing the maps as 0.17 does for SIGUSR1.
struct SelfSignalRules: ProviderRules {
  let signal: String

  /// The signals a self probe can wait for.
  static let signals = ["SIGUSR1"]

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard parts.count == 2, parts[0] == "signal", signals.contains(parts[1]) else {
      return .failure(ProbeParseError("self probes are written 'self:signal:SIGUSR1' (the one signal they take)"))
    }
    return .success(.selfSignal(parts[1]))
  }

  var name: String { "self:signal:\(signal)" }
  var provider: Provider { .selfEvent }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { false }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { false }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "raw_tp" }
  var attachment: Attachment { .none }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> { .success([.selfSignal(signal)]) }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // swiftrace runs them
}

/// `test:NAME` and `bench:NAME` (bpftrace 0.23 and later): XDP programs, which BPF_PROG_TEST_RUN
/// runs on a made-up packet, many times if asked, and times. `--test` runs each test once (it
/// passes when it returns 0 and calls no exit with a failing status); `--bench` times each bench.
/// Otherwise they are not even loaded. XDP programs have no task: pid, comm and the like are
/// refused by the verifier there.
struct RunnableProbeRules: ProviderRules {
  let probeName: String
  let isBench: Bool

  init(name: String, isBench: Bool) {
    self.probeName = name
    self.isBench = isBench
  }

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard parts.count == 1, !parts[0].isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):name'"))
    }
    return .success(provider == .test ? .test(parts[0]) : .bench(parts[0]))
  }

  var provider: Provider { isBench ? .bench : .test }
  var name: String { "\(provider.name):\(probeName)" }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { false }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { false }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "xdp" }
  var attachment: Attachment { .none }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    .success([isBench ? .bench(probeName) : .test(probeName)])
  }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // swiftrace runs them
}
