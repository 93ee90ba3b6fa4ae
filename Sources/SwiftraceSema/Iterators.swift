/// The kernel objects a BPF iterator (`iter:KIND`) walks. Each call of the program sees one object
/// through `ctx` (the kernel's `struct bpf_iter__KIND`); the last call sees none and is skipped.
public enum IteratorKind: String, Codable, CaseIterable, Sendable {
  case task
  case taskFile = "task_file"
  case taskVMA = "task_vma"

  /// The context's struct in the kernel's BTF.
  public var contextStruct: String { "bpf_iter__\(rawValue)" }
}
