/// The kernel objects a BPF iterator (`iter:KIND`) walks. Each call of the program sees one object
/// through `ctx` (the kernel's `struct bpf_iter__KIND`); the last call sees none and is skipped.
public enum IteratorKind: String, CaseIterable, Sendable {
  case task
  case taskFile = "task_file"
  case taskVMA = "task_vma"

  /// The context's struct in the kernel's BTF.
  public var contextStruct: String { "bpf_iter__\(rawValue)" }
}

/// Why an iterator cannot share the program with other probes: it runs once, when swiftrace reads
/// it, and the trace then ends.
public enum IteratorRules {
  public static let alone = "an iter probe runs once over the kernel's objects and ends the trace: only BEGIN and END may join it"
}
