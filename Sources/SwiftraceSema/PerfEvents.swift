/// The events of `software:NAME[:COUNT]` and `hardware:NAME[:COUNT]` probes: perf's generic
/// counters, with bpftrace's names, aliases and default sample periods.
public struct PerfEvent: Codable, Hashable, Sendable {
  public let name: String
  public let alias: String?
  /// PERF_COUNT_SW_* or PERF_COUNT_HW_*.
  public let config: UInt64
  public let defaultCount: UInt64

  public static let software: [PerfEvent] = [
    PerfEvent(name: "cpu-clock", alias: "cpu", config: 0, defaultCount: 1_000_000),
    PerfEvent(name: "task-clock", alias: nil, config: 1, defaultCount: 1_000_000),
    PerfEvent(name: "page-faults", alias: "faults", config: 2, defaultCount: 100),
    PerfEvent(name: "context-switches", alias: "cs", config: 3, defaultCount: 1_000),
    PerfEvent(name: "cpu-migrations", alias: nil, config: 4, defaultCount: 1),
    PerfEvent(name: "minor-faults", alias: nil, config: 5, defaultCount: 100),
    PerfEvent(name: "major-faults", alias: nil, config: 6, defaultCount: 1),
    PerfEvent(name: "alignment-faults", alias: nil, config: 7, defaultCount: 1),
    PerfEvent(name: "emulation-faults", alias: nil, config: 8, defaultCount: 1),
    PerfEvent(name: "dummy", alias: nil, config: 9, defaultCount: 1),
    PerfEvent(name: "bpf-output", alias: nil, config: 10, defaultCount: 1),
  ]

  public static let hardware: [PerfEvent] = [
    PerfEvent(name: "cpu-cycles", alias: "cycles", config: 0, defaultCount: 1_000_000),
    PerfEvent(name: "instructions", alias: nil, config: 1, defaultCount: 1_000_000),
    PerfEvent(name: "cache-references", alias: nil, config: 2, defaultCount: 1_000_000),
    PerfEvent(name: "cache-misses", alias: nil, config: 3, defaultCount: 1_000_000),
    PerfEvent(name: "branch-instructions", alias: "branches", config: 4, defaultCount: 100_000),
    PerfEvent(name: "branch-misses", alias: nil, config: 5, defaultCount: 100_000),
    PerfEvent(name: "bus-cycles", alias: nil, config: 6, defaultCount: 100_000),
    PerfEvent(name: "frontend-stalls", alias: nil, config: 7, defaultCount: 1_000_000),
    PerfEvent(name: "backend-stalls", alias: nil, config: 8, defaultCount: 1_000_000),
    PerfEvent(name: "ref-cycles", alias: nil, config: 9, defaultCount: 1_000_000),
  ]

  static func find(_ name: String, hardware: Bool) -> PerfEvent? {
    (hardware ? Self.hardware : Self.software).first { $0.name == name || $0.alias == name }
  }
}
