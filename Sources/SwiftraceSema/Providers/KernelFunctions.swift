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
    if parts.first == "bpf", parts.count > 1 { return BPFFunctionRules.parse(parts, as: provider) }
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
  /// Kernel functions are listed as kprobes, as bpftrace 0.17 lists them; functions of running
  /// BPF programs as `kfunc:bpf:ID:NAME`, when the pattern asks for them.
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    BPFFunctionRules.list(query, in: sources, write: write)
  }
}

/// `fentry:bpf:[ID:]FUNCTION` and `fexit:bpf:...` (bpftrace 0.21 and later): a function of a
/// running BPF program, by the program's id or in every program that has it (its main function or
/// a subprogram, as its BTF names them). `args` are the function's parameters as 64-bit values
/// (newer bpftrace has no `args` here); `retval` is the return value.
struct BPFFunctionRules: ProviderRules {
  let programID: UInt32?
  let function: String
  let isReturn: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    let form = "\(provider.name):bpf:[PROGRAM_ID:]FUNCTION"
    guard parts.first == "bpf", (2...3).contains(parts.count), let f = parts.last, !f.isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes on BPF programs are written '\(form)'"))
    }
    var id: UInt32?
    if parts.count == 3, parts[1] != "*" {
      guard let number = UInt32(parts[1]) else {
        return .failure(ProbeParseError("'\(parts[1])' is not a BPF program id: \(provider.name) probes on BPF programs are written '\(form)'"))
      }
      id = number
    }
    return .success(.bpfFunction(programID: id, function: f, isReturn: provider == .kretfunc))
  }

  var name: String { "\(provider.name):bpf:" + (programID.map { "\($0):" } ?? "") + function }
  var provider: Provider { isReturn ? .kretfunc : .kfunc }
  /// Without a program id it names every program that has the function.
  var isWildcard: Bool { programID == nil || isPattern(function) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { !isReturn }
  var hasRegisterArguments: Bool { true }
  var hasReturnValue: Bool { isReturn }
  var argumentAddressSpace: AddressSpace { .kernel }
  var section: String { "\(isReturn ? "fexit" : "fentry")/\(function)" }
  var attachment: Attachment { .bpfProgram(id: programID ?? 0, function: function) }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { true }

  func matches(_ f: BPFProgramFunction) -> Bool {
    (programID == nil || programID == f.programID) && wildcardMatch(function, f.name)
  }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    .success(sources.machine.bpfProgramFunctions().filter(matches).map {
      .bpfFunction(programID: $0.programID, function: $0.name, isReturn: isReturn)
    })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    guard let target = sources.machine.bpfProgramFunctions().first(where: matches) else {
      return .failure(ProbeProblem(.semaInvalidAttachPoint, "no running BPF program has function '\(function)' (with BTF)"))
    }
    let word = CType.integer(bytes: 8, signed: false)
    return .success(ProbeContext(arguments: target.parameters.map { ($0, word) }, returnType: isReturn ? word : nil))
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String {
    "no running BPF program has a function matching '\(text)' (programs without BTF cannot be probed)"
  }

  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    // Only when asked for by provider and `bpf` (`-l 'fentry:bpf:*'`): a bare -l lists kernel probes.
    guard query.wants(.kfunc) || query.wants(.kretfunc), query.parts.count >= 2,
      query.parts[1] == "bpf" || query.parts[1] == "*" else { return }
    let providerName = query.wants(.kfunc) ? "kfunc" : "kretfunc"
    for f in sources.machine.bpfProgramFunctions() {
      let name = "\(providerName):bpf:\(f.programID):\(f.name)"
      guard query.matches(name) else { continue }
      write(name + "\n")
      if query.verbose { f.parameters.forEach { write("    uint64 \($0)\n") } }
    }
  }
}
