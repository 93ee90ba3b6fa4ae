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
}
