import SwiftraceSyntax

/// `uprobe:BINARY:FUNCTION` and `uretprobe:BINARY:FUNCTION`: a function of a program or library
/// (FUNCTION may be `name+OFFSET` or an address), its arguments in registers or its `retval`.
struct UprobeRules: ProviderRules {
  let binary: String
  let function: String
  let isReturn: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    if let e = ProbeParseError.requires(2, "\(provider.name):binary:function", provider, parts) { return .failure(e) }
    return .success(provider == .uprobe
      ? .uprobe(binary: parts[0], function: parts[1]) : .uretprobe(binary: parts[0], function: parts[1]))
  }

  /// `add` for `add` and `add+8`; nil for an address.
  var functionName: String? {
    let name = String(function.prefix { $0 != "+" })
    return name.isEmpty || name.first!.isNumber ? nil : name
  }

  var name: String { "\(provider.name):\(binary):\(function)" }
  var provider: Provider { isReturn ? .uretprobe : .uprobe }
  // A wildcard binary is a list of files, expanded by the checker, not a pattern of functions.
  var isWildcard: Bool { isPattern(function) && !isPattern(binary) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { !isReturn }
  var hasReturnValue: Bool { isReturn }
  var argumentAddressSpace: AddressSpace { .user }
  var section: String { provider.name }
  var attachment: Attachment { .uprobe(binary: binary, function: function, isReturn: isReturn) }
}
