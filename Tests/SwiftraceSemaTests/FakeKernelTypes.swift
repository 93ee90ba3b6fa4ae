import SwiftraceSema

/// A tiny stand-in for kernel BTF, so that struct access is checked without a kernel.
final class FakeKernelTypes: KernelTypeCatalog {
  static let task = RecordRef(name: "task_struct", isUnion: false, id: 1, size: 64)
  static let file = RecordRef(name: "file", isUnion: false, id: 2, size: 16)
  static let inner = RecordRef(name: "", isUnion: true, id: 3, size: 8)

  /// `iter:task`'s context: the iterator's meta data, then the task (NULL on the last call).
  static let iterTask = RecordRef(name: "bpf_iter__task", isUnion: false, id: 4, size: 16)

  func record(named name: String, isUnion: Bool) -> RecordRef? {
    [Self.task, Self.file, Self.iterTask].first { $0.name == name && $0.isUnion == isUnion }
  }

  func fields(of record: RecordRef) -> [RecordField] {
    switch record.id {
    case 1:
      return [
        RecordField(name: "real_parent", offset: 0, type: .pointer(.record(Self.task))),
        RecordField(name: "pid", offset: 8, type: .integer(bytes: 4, signed: true)),
        RecordField(name: "comm", offset: 16, type: .array(.integer(bytes: 1, signed: true), count: 16)),
        RecordField(name: "files", offset: 32, type: .pointer(.record(Self.file))),
        RecordField(name: "flags", offset: 40, type: .integer(bytes: 4, signed: false), bitSize: 3, bitOffset: 2),
        RecordField(name: "stack", offset: 48, type: .pointer(.void)),
      ]
    case 2:
      return [RecordField(name: "f_count", offset: 0, type: .integer(bytes: 8, signed: false))]
    case 4:
      return [RecordField(name: "meta", offset: 0, type: .pointer(.void)),
              RecordField(name: "task", offset: 8, type: .pointer(.record(Self.task)))]
    default:
      return []
    }
  }

  func recordNames() -> [String] { ["task_struct", "file"] }

  /// Per-CPU variables: a counter, and a struct.
  func variable(named name: String) -> CType? {
    switch name {
    case "process_counts": return .integer(bytes: 8, signed: false)
    case "task_of_cpu": return .record(Self.task)
    default: return nil
    }
  }

  func rawTracepointNames() -> [String] { ["sched_switch"] }

  func rawTracepointArguments(_ event: String) -> [(name: String, type: CType)]? {
    event == "sched_switch"
      ? [("preempt", .integer(bytes: 1, signed: false)), ("prev", .pointer(.record(Self.task))),
         ("next", .pointer(.record(Self.task))), ("prev_state", .integer(bytes: 4, signed: false))]
      : nil
  }

  func constant(named name: String) -> Int64? { name == "TASK_RUNNING" ? 0 : name == "TCP_CLOSE" ? 7 : nil }
}
