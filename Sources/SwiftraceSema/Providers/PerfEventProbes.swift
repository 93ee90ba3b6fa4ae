import SwiftraceSyntax

/// `software:EVENT[:COUNT]` and `hardware:EVENT[:COUNT]`: every COUNT events, on every CPU.
struct PerfEventRules: ProviderRules {
  let event: PerfEvent
  let count: UInt64
  let hardware: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    let isHardware = provider == .hardware
    guard (1...2).contains(parts.count), !parts[0].isEmpty else {
      return .failure(ProbeParseError("\(provider.name) probes are written '\(provider.name):event[:count]'"))
    }
    guard let event = PerfEvent.find(parts[0], hardware: isHardware) else {
      let names = (isHardware ? PerfEvent.hardware : PerfEvent.software).flatMap { [$0.name] + ($0.alias.map { [$0] } ?? []) }
      let hint = closestName(to: parts[0], in: names).map { "; did you mean '\($0)'?" } ?? ""
      return .failure(ProbeParseError("unknown \(provider.name) event '\(parts[0])'\(hint)"))
    }
    var count = event.defaultCount
    if parts.count == 2 {
      guard let n = UInt64(parts[1]), n > 0 else {
        return .failure(ProbeParseError("the count of a \(provider.name) probe must be a number above 0"))
      }
      count = n
    }
    return .success(isHardware ? .hardware(event, count: count) : .software(event, count: count))
  }

  var name: String { "\(provider.name):\(event.name):\(count)" }
  var provider: Provider { hardware ? .hardware : .software }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { false }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .unknown }
  var section: String { "perf_event" }
  var attachment: Attachment {
    .perfEvent(everyCPU: true, period: count, frequency: nil, hardware: hardware, config: event.config)
  }
  var probedFile: String? { nil }
  var contextType: ContextType { .perfEventData }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> { .success([hardware ? .hardware(event, count: count) : .software(event, count: count)]) }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    for (provider, events) in [(Provider.software, PerfEvent.software), (.hardware, PerfEvent.hardware)] where query.wants(provider) {
      for event in events where query.matches("\(provider.name):\(event.name):") { write("\(provider.name):\(event.name):\n") }
    }
  }
}
