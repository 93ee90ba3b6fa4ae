import SwiftraceSyntax

/// `kprobe:FUNCTION` and `kretprobe:FUNCTION`: a kernel function's entry (arguments in
/// registers) or return (`retval`).
struct KprobeRules: ProviderRules {
  let function: String
  let isReturn: Bool

  /// Kernel functions whose return probes can deadlock the machine (the kretprobe handler takes
  /// the same locks); bpftrace refuses them too.
  static let bannedReturnProbes: Set<String> = [
    "_raw_spin_lock", "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "queued_spin_lock_slowpath",
  ]

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    if let e = ProbeParseError.requires(1, "\(provider.name):function", provider, parts) { return .failure(e) }
    return .success(provider == .kprobe ? .kprobe(function: parts[0]) : .kretprobe(function: parts[0]))
  }

  var name: String { "\(provider.name):\(function)" }
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
}

/// `kfunc:FUNCTION` and `kretfunc:FUNCTION` (fentry/fexit; `kfunc:MODULE:FUNCTION` names vmlinux
/// only, as BTF is read from vmlinux): BTF-typed `args`, and `retval` on return.
struct KfuncRules: ProviderRules {
  let function: String
  let isReturn: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard (1...2).contains(parts.count), let f = parts.last, !f.isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):function'"))
    }
    return .success(provider == .kfunc ? .fentry(function: f) : .fexit(function: f))
  }

  var name: String { "\(provider.name):\(function)" }
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
}
