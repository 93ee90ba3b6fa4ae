import SwiftraceSyntax

/// `kprobe:FUNCTION` and `kretprobe:FUNCTION`: a kernel function's entry (arguments in
/// registers) or return (`retval`).
struct KprobeRules: ProviderRules {
  let function: String
  /// `kprobe:MODULE:function`: where the function must be (vmlinux or a loaded module).
  let module: String?
  let isReturn: Bool

  /// Kernel functions whose return probes can deadlock the machine (the kretprobe handler takes
  /// the same locks); bpftrace refuses them too.
  static let bannedReturnProbes: Set<String> = [
    "_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "queued_spin_lock_slowpath",
  ]

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    // `kprobe:module:function` (bpftrace 0.18 and later): the module only narrows where the
    // function is looked for; the kernel finds a module's functions by name.
    guard (1...2).contains(parts.count), let function = parts.last, !function.isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):function' or '\(provider.name):module:function'"))
    }
    let module = parts.count == 2 ? parts[0] : nil
    return .success(provider == .kprobe ? .kprobe(function: function, module: module) : .kretprobe(function: function, module: module))
  }

  var name: String { "\(provider.name):" + (module.map { "\($0):" } ?? "") + function }
  var provider: Provider { isReturn ? .kretprobe : .kprobe }
  var isWildcard: Bool { isPattern(function) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { !isReturn }
  var hasRegisterArguments: Bool { !isReturn }
  var hasReturnValue: Bool { isReturn }
  var argumentAddressSpace: AddressSpace { .kernel }
  var section: String { "\(provider.name)/\(function)" }
  var attachment: Attachment { .kprobe(function: function, isReturn: isReturn) }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  /// A pattern stands for the functions in /proc/kallsyms; a name for itself (attaching says when
  /// it does not exist).
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    if let module, module != "vmlinux", !sources.machine.kernelModuleLoaded(module) {
      // 0.17 read `kprobe:a:b` as too many arguments: its words stay in the message.
      return .failure(ProbeProblem(.semaInvalidAttachPoint,
                                   "\(provider.name) probe type requires 1 argument, or a loaded kernel module before the function, and no module '\(module)' is loaded"))
    }
    guard isWildcard else {
      if isReturn && Self.bannedReturnProbes.contains(function) {
        // bpftrace's words, which scripts look for.
        return .failure(ProbeProblem(.semaBannedProbe, "kretprobe:\(function) can't be used as it might lock up your system."))
      }
      return .success([isReturn ? .kretprobe(function: function, module: module) : .kprobe(function: function, module: module)])
    }
    let functions = sources.machine.kernelFunctions(matching: function)
    if isReturn {
      return .success(functions.filter { !Self.bannedReturnProbes.contains($0) }.map { .kretprobe(function: $0, module: module) })
    }
    return .success(functions.map { .kprobe(function: $0, module: module) })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  /// Kernel functions, tens of thousands of them: bare `-l` lists them too, as bpftrace does, for
  /// the `-l | grep vfs_read` habit; once, as kprobes unless only kretprobes are asked for.
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    guard query.wants(.kprobe) || query.wants(.kretprobe) else { return }
    let providerName = query.wants(.kprobe) ? "kprobe" : "kretprobe"
    let functionPattern = query.pattern.map { String($0.split(separator: ":", maxSplits: 1).last ?? "*") } ?? "*"
    for function in sources.machine.kernelFunctions(matching: functionPattern) { write("\(providerName):\(function)\n") }
  }
}

/// `kfunc:FUNCTION` and `kretfunc:FUNCTION` (fentry/fexit; `fentry:MODULE:FUNCTION`, bpftrace 0.18
/// and later: vmlinux, or a loaded module, whose BTF /sys/kernel/btf has): BTF-typed `args`, and
/// `retval` on return.
struct KfuncRules: ProviderRules {
  let function: String
  let module: String?
  let isReturn: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard (1...2).contains(parts.count), let f = parts.last, !f.isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):function' or '\(provider.name):module:function'"))
    }
    let module = parts.count == 2 && parts[0] != "vmlinux" ? parts[0] : nil
    return .success(provider == .kfunc ? .fentry(function: f, module: module) : .fexit(function: f, module: module))
  }

  var name: String { "\(provider.name):" + (module.map { "\($0):" } ?? "") + function }
  var provider: Provider { isReturn ? .kretfunc : .kfunc }
  var isWildcard: Bool { isPattern(function) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { !isReturn }
  var hasRegisterArguments: Bool { true }
  var hasReturnValue: Bool { isReturn }
  var argumentAddressSpace: AddressSpace { .kernel }
  var section: String { "\(isReturn ? "fexit" : "fentry")/\(function)" }
  var attachment: Attachment { .bySection }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { true }

  /// A pattern stands for the functions in /proc/kallsyms that BTF describes (kfunc probes need
  /// it); a name for itself (the context says when BTF lacks it).
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    if let module {
      // A module's functions are typed by its own BTF, which this machine has for loaded modules.
      guard sources.machine.kernelModuleLoaded(module) else {
        return .failure(ProbeProblem(.semaInvalidAttachPoint, "no kernel module '\(module)' is loaded (\(provider.name):MODULE:FUNCTION needs one)"))
      }
      return .failure(ProbeProblem(.semaInvalidAttachPoint,
                                   "\(provider.name) probes on module functions need the module's BTF, which swiftrace does not read yet; probe '\(function)' without the module if vmlinux has it"))
    }
    guard isWildcard else { return .success([isReturn ? .fexit(function: function) : .fentry(function: function)]) }
    let functions = sources.machine.kernelFunctions(matching: function).filter { sources.kernelTypes?.functionPrototype($0) != nil }
    return .success(functions.map { isReturn ? .fexit(function: $0) : .fentry(function: $0) })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    guard let proto = sources.kernelTypes?.functionPrototype(function) else {
      return .failure(ProbeProblem(.semaUnknownFunction,
                                   "kernel function '\(function)' has no BTF description (\(provider.name) needs one)"))
    }
    return .success(ProbeContext(arguments: proto.arguments, returnType: isReturn ? proto.returnType : nil))
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // listed as kprobes, as bpftrace 0.17 lists them
}
