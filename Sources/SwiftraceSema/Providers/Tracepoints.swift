import SwiftraceSyntax

/// `tracepoint:CATEGORY:EVENT`: a kernel tracepoint; its record's fields are `args`.
struct TracepointRules: ProviderRules {
  let category: String
  let event: String

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    if let e = ProbeParseError.requires(2, "tracepoint:category:event", provider, parts) { return .failure(e) }
    return .success(.tracepoint(category: parts[0], event: parts[1]))
  }

  var name: String { "tracepoint:\(category):\(event)" }
  var provider: Provider { .tracepoint }
  var isWildcard: Bool { isPattern(category) || isPattern(event) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { false }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  // System calls' arguments point into the calling process.
  var argumentAddressSpace: AddressSpace { category == "syscalls" ? .user : .kernel }
  var section: String { "tracepoint/\(category)/\(event)" }
  var attachment: Attachment { .tracepoint(category: category, event: event) }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  /// A name with `*` or `?` stands for the tracepoints tracefs has; one without stands for itself
  /// (the context says when it does not exist).
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    guard isWildcard else { return .success([.tracepoint(category: category, event: event)]) }
    return .success(sources.tracepoints.tracepoints(category: category, event: event).map {
      .tracepoint(category: $0.category, event: $0.event)
    })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    guard let format = sources.tracepoints.format(category: category, event: event) else {
      return .failure(ProbeProblem(.semaUnknownTracepoint, "tracepoint not found: \(category):\(event)"))
    }
    return .success(ProbeContext(format: format))
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    guard query.wants(.tracepoint) else { return }
    for tp in sources.tracepoints.tracepoints(category: "*", event: "*") {
      let name = "tracepoint:\(tp.category):\(tp.event)"
      guard query.matches(name) else { continue }
      write(name + "\n")
      if query.verbose, let format = sources.tracepoints.format(category: tp.category, event: tp.event) {
        for field in format.fields where !field.name.hasPrefix("common_") { write("    \(field.declaration)\n") }
      }
    }
  }
}

/// `rawtracepoint:EVENT` (or `rawtracepoint:MODULE:EVENT`: the module only narrows the search),
/// as a BTF-typed (tp_btf) program: `args` are the TP_PROTO arguments.
struct RawTracepointRules: ProviderRules {
  let event: String

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard (1...2).contains(parts.count), let event = parts.last, !event.isEmpty else {
      return .failure(ProbeParseError("rawtracepoint probes are written 'rawtracepoint:event'"))
    }
    return .success(.rawTracepoint(event: event))
  }

  var name: String { "rawtracepoint:\(event)" }
  var provider: Provider { .rawtracepoint }
  var isWildcard: Bool { isPattern(event) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { true }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .kernel }
  var section: String { "tp_btf/\(event)" }
  var attachment: Attachment { .bySection }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { true }

  /// A pattern stands for the raw tracepoints the kernel's BTF describes (bpftrace 0.21 and later).
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    guard isWildcard else { return .success([.rawTracepoint(event: event)]) }
    let events = sources.kernelTypes?.rawTracepointNames() ?? []
    return .success(events.filter { wildcardMatch(event, $0) }.map { .rawTracepoint(event: $0) })
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    guard let arguments = sources.kernelTypes?.rawTracepointArguments(event) else {
      return .failure(ProbeProblem(.semaUnknownTracepoint, "raw tracepoint '\(event)' not found in the kernel's BTF"))
    }
    return .success(ProbeContext(arguments: arguments))
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    guard query.wants(.rawtracepoint), let types = sources.kernelTypes else { return }
    for event in types.rawTracepointNames() {
      let name = "rawtracepoint:\(event)"
      guard query.matches(name) else { continue }
      write(name + "\n")
      if query.verbose, let arguments = types.rawTracepointArguments(event) {
        for (i, a) in arguments.enumerated() { write("    \(a.type) \(a.name.isEmpty ? "arg\(i)" : a.name)\n") }
      }
    }
  }
}
