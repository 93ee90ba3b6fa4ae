import SwiftraceSyntax

/// `watchpoint:ADDRESS:LENGTH:MODE`: a hardware breakpoint on data (r, w, rw) or code (x) in the
/// process of -p or -c. `watchpoint:FUNCTION+argN:...` and `asyncwatchpoint:` are
/// `FunctionWatchpointRules`; both spellings are read here.
struct WatchpointRules: ProviderRules {
  let address: UInt64
  let length: Int
  let mode: String

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    let form = "watchpoint:ADDRESS:LENGTH:MODE or watchpoint:FUNCTION+argN:LENGTH:MODE, with LENGTH 1, 2, 4 or 8 and MODE r, w, rw or x"
    guard parts.count == 3 else { return .failure(ProbeParseError("\(provider.name) probe type requires 3 arguments: \(form)")) }
    guard let length = Int(parts[1]), [1, 2, 4, 8].contains(length), ["r", "w", "rw", "x"].contains(parts[2]) else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(form)'"))
    }
    let async = provider == .asyncwatchpoint
    if let plus = parts[0].firstIndex(of: "+") {
      let function = String(parts[0][..<plus]), argument = parts[0][parts[0].index(after: plus)...]
      guard !function.isEmpty, argument.hasPrefix("arg"), let n = Int(argument.dropFirst(3)), (0...5).contains(n) else {
        return .failure(ProbeParseError("invalid function argument in '\(parts[0])': write FUNCTION+argN with N from 0 to 5"))
      }
      return .success(.functionWatchpoint(binary: "", function: function, argument: n, length: length, mode: parts[2],
                                          async: async))
    }
    guard !async else {
      return .failure(ProbeParseError("asyncwatchpoint probes watch a function's argument: 'asyncwatchpoint:FUNCTION+argN:LENGTH:MODE'"))
    }
    let text = parts[0]
    guard let address = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text) else {
      return .failure(ProbeParseError("watchpoint probes are written '\(form)'"))
    }
    return .success(.watchpoint(address: address, length: length, mode: parts[2]))
  }

  var name: String { "watchpoint:0x\(String(address, radix: 16)):\(length):\(mode)" }
  var provider: Provider { .watchpoint }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "perf_event" }
  var attachment: Attachment { .watchpoint(address: address, length: length, mode: mode) }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    guard sources.hasTargetProcess else {
      return .failure(ProbeProblem(.semaWatchpointTarget, "watchpoint probes watch one process: run with -p PID or -c COMMAND"))
    }
    return .success([.watchpoint(address: address, length: length, mode: mode)])
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // any address is one
}

/// `watchpoint:FUNCTION+argN:LENGTH:MODE` (and `asyncwatchpoint:`): a hardware breakpoint on the
/// address that argument N holds when the -p/-c process calls FUNCTION of `binary` (its program),
/// placed then. A synchronous one stops the process until it is placed.
struct FunctionWatchpointRules: ProviderRules {
  let binary: String
  let function: String
  let argument: Int
  let length: Int
  let mode: String
  let async: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    WatchpointRules.parse(parts, as: provider)
  }

  // bpftrace's spelling: the argument's number appears only when it is not 0.
  var name: String { "\(provider.name):\(binary):\(function)\(argument != 0 ? ":\(argument)" : ""):\(length):\(mode)" }
  var provider: Provider { async ? .asyncwatchpoint : .watchpoint }
  var isWildcard: Bool { isPattern(function) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .user }
  var section: String { "perf_event" }
  var attachment: Attachment { .functionWatchpoint(binary: binary, function: function) }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  /// FUNCTION (a pattern) among the functions of the program the -p/-c process runs.
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    guard sources.hasTargetProcess, let path = sources.targetExecutable else {
      return .failure(ProbeProblem(.semaWatchpointTarget,
                                   "watchpoints on a function's argument watch one process: run with -p PID or -c COMMAND"))
    }
    let functions = sources.machine.userFunctions(in: path) ?? [function]
    return .success(functions.filter { wildcardMatch(function, $0) }.map {
      .functionWatchpoint(binary: path, function: $0, argument: argument, length: length, mode: mode, async: async)
    })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // listed as watchpoints
}
