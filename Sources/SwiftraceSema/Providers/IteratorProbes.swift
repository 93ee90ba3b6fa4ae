import SwiftraceSyntax

/// `iter:KIND[:PIN]`: a BPF iterator over tasks (and their files or memory maps), run once when
/// swiftrace reads it; printf writes what reading it returns. PIN pins it to a file instead (a
/// path, or a name under /sys/fs/bpf).
struct IteratorRules: ProviderRules {
  let kind: IteratorKind
  let pin: String?

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard (1...2).contains(parts.count), let kind = IteratorKind(rawValue: parts[0]) else {
      let kinds = IteratorKind.allCases.map(\.rawValue).joined(separator: ", ")
      return .failure(ProbeParseError("iter probes are written 'iter:KIND' or 'iter:KIND:PIN', with KIND one of \(kinds)"))
    }
    if parts.count == 2 && parts[1].isEmpty { return .failure(ProbeParseError("the pin file of an iter probe is empty")) }
    return .success(.iterator(kind, pin: parts.count == 2 ? parts[1] : nil))
  }

  var name: String { "iter:\(kind.rawValue)" + (pin.map { ":\($0)" } ?? "") }
  var provider: Provider { .iter }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { false }
  var hasRegisters: Bool { false }
  var runsLastAttachedFirst: Bool { false }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .kernel }
  var section: String { "iter/\(kind.rawValue)" }
  var attachment: Attachment { .iterator }
  var probedFile: String? { nil }
  var contextType: ContextType { .fields }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> { .success([.iterator(kind, pin: pin)]) }

  /// The iterator context's fields, one 8-byte slot each (unions of a pointer or an integer).
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    guard let record = sources.kernelTypes?.record(named: kind.contextStruct, isUnion: false) else {
      return .failure(ProbeProblem(.semaUnknownIterator,
                                   "iter:\(kind.rawValue) is not available: the kernel's BTF has no struct \(kind.contextStruct)"))
    }
    let fields = sources.kernelTypes?.fields(of: record) ?? []
    let arguments = fields.enumerated().prefix { $0.element.offset == 8 * $0.offset }.map { ($0.element.name, $0.element.type) }
    return .success(ProbeContext(arguments: arguments))
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    guard query.wants(.iter), let types = sources.kernelTypes else { return }
    for kind in IteratorKind.allCases {
      let name = "iter:\(kind.rawValue)"
      guard query.matches(name), let record = types.record(named: kind.contextStruct, isUnion: false) else { continue }
      write(name + "\n")
      if query.verbose {
        for field in types.fields(of: record) where field.name != "meta" { write("    \(field.type) \(field.name)\n") }
      }
    }
  }
}
