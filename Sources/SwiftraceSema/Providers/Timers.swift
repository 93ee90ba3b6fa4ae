import SwiftraceSyntax

/// `interval:UNIT:N` fires on one CPU and `profile:UNIT:N` on every CPU, N times a second
/// (`hz`) or every N seconds, milliseconds, microseconds or nanoseconds; `interval:DURATION`
/// (bpftrace 0.18 and later: `interval:1s`, `interval:100ms`, or nanoseconds) is the same.
struct TimerRules: ProviderRules {
  let everyCPU: Bool
  let frequency: UInt64?
  let nanoseconds: UInt64?

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    let isProfile = provider == .profile
    if parts.count == 1 {
      guard let ns = Duration.nanoseconds(parts[0]), ns > 0 else {
        return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):DURATION' (like 1s, 100ms, 500us or nanoseconds) or '\(provider.name):UNIT:N'"))
      }
      return .success(isProfile ? .profile(frequency: nil, nanoseconds: ns) : .interval(frequency: nil, nanoseconds: ns))
    }
    guard parts.count == 2, let n = UInt64(parts[1]), n > 0 else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):UNIT:N' with UNIT one of hz, s, ms, us, ns and N > 0"))
    }
    let scale: UInt64
    switch parts[0] {
    case "s": scale = 1_000_000_000
    case "ms": scale = 1_000_000
    case "us": scale = 1_000
    case "ns": scale = 1
    case "hz":
      return .success(isProfile ? .profile(frequency: n, nanoseconds: nil) : .interval(frequency: n, nanoseconds: nil))
    default:
      return .failure(ProbeParseError("unknown \(provider.name) unit '\(parts[0])'; use hz, s, ms, us or ns"))
    }
    let (ns, overflow) = n.multipliedReportingOverflow(by: scale)
    if overflow { return .failure(ProbeParseError("\(provider.name) period is too long")) }
    return .success(isProfile ? .profile(frequency: nil, nanoseconds: ns) : .interval(frequency: nil, nanoseconds: ns))
  }

  var name: String {
    frequency.map { "\(provider.name):hz:\($0)" } ?? "\(provider.name):\(Self.periodSpelling(nanoseconds ?? 0))"
  }

  private static func periodSpelling(_ ns: UInt64) -> String {
    if ns % 1_000_000_000 == 0 { return "s:\(ns / 1_000_000_000)" }
    if ns % 1_000_000 == 0 { return "ms:\(ns / 1_000_000)" }
    if ns % 1_000 == 0 { return "us:\(ns / 1_000)" }
    return "ns:\(ns)"
  }

  var provider: Provider { everyCPU ? .profile : .interval }
  var isWildcard: Bool { false }
  // interval fires in whatever task the timer hits; profile samples the task it interrupts.
  var firesInProcessContext: Bool { everyCPU }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "perf_event" }
  var attachment: Attachment {
    .perfEvent(everyCPU: everyCPU, period: nanoseconds, frequency: frequency, hardware: false, config: nil)
  }
  var probedFile: String? { nil }
  var contextType: ContextType { .perfEventData }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    .success([everyCPU ? .profile(frequency: frequency, nanoseconds: nanoseconds)
      : .interval(frequency: frequency, nanoseconds: nanoseconds)])
  }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // any period is one
}
