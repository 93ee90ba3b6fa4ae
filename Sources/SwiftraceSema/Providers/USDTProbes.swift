import SwiftraceSyntax

/// `usdt:BINARY:[PROVIDER:]NAME` as written (an empty binary means every file of the -p process;
/// an empty provider, any provider); the checker expands it to its sites (`USDTSiteRules`).
struct USDTPatternRules: ProviderRules {
  let binary: String
  let usdtProvider: String
  let probeName: String

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    guard (2...3).contains(parts.count), let name = parts.last, !name.isEmpty else {
      return .failure(ProbeParseError("usdt probes are written 'usdt:binary:[provider:]name'"))
    }
    let usdtProvider = parts.count == 3 && !parts[1].isEmpty ? parts[1] : "*"
    return .success(.usdtPattern(binary: parts[0], provider: usdtProvider, name: name))
  }

  var name: String { "usdt:\(binary):\(usdtProvider):\(probeName)" }
  var provider: Provider { .usdt }
  var isWildcard: Bool { true }  // one attach point may name several sites
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { true }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .user }
  var section: String { "uprobe" }
  var attachment: Attachment { .none }
  var probedFile: String? { nil }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  /// The sites of the files BINARY names (every file of -p's process when it is empty; `*`: those,
  /// or without -p every running process's files) whose provider and name match.
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    let machine = sources.machine
    let paths = machine.expandUserBinary(binary) ?? machine.resolveUserBinary(binary).map { [$0] } ?? []
    guard !paths.isEmpty else {
      let message = binary.isEmpty
        ? "usdt probes with no binary ('usdt::provider:name') need -p PID: they attach to that process's files"
        : "usdt target '\(binary)' is not a file, a program on PATH or a library the dynamic linker knows"
      return .failure(ProbeProblem(.semaUprobeTarget, message))
    }
    var found: [ProbeKind] = []
    for path in paths {
      guard let sites = machine.usdtSites(in: path) else {
        if paths.count == 1 { return .failure(ProbeProblem(.semaUprobeTarget, "cannot read the USDT probes of '\(path)'")) }
        continue
      }
      found += sites.filter { wildcardMatch(usdtProvider, $0.provider) && wildcardMatch(probeName, $0.name) }.map { .usdt($0) }
    }
    return .success(found)
  }

  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  /// The sites of the files the query names, or with `-p PID` of the process's files.
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    guard query.names(.usdt) else { return }
    let parts = query.parts
    let providerPattern = parts.count == 4 ? parts[2] : "*"
    let namePattern = parts.count >= 2 ? parts.last! : "*"
    for path in sources.machine.filesToList(matching: parts.count >= 3 ? parts[1] : "*") {
      var seen = Set<String>()
      for site in sources.machine.usdtSites(in: path) ?? []
      where wildcardMatch(providerPattern, site.provider) && wildcardMatch(namePattern, site.name) {
        let name = "usdt:\(path):\(site.provider):\(site.name)"
        guard seen.insert(name).inserted else { continue }
        write(name + "\n")
        if query.verbose {
          for (i, a) in site.arguments.enumerated() { write("    arg\(i): \(a)\n") }
        }
      }
    }
  }
}

/// One USDT site: a uprobe at its address, with its own argument locations.
struct USDTSiteRules: ProviderRules {
  let site: USDTSite

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    USDTPatternRules.parse(parts, as: provider)
  }

  var name: String { "usdt:\(site.binary):\(site.provider):\(site.name)" }
  var provider: Provider { .usdt }
  var isWildcard: Bool { false }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { true }
  var hasReturnValue: Bool { false }
  var argumentAddressSpace: AddressSpace { .user }
  var section: String { "uprobe" }
  var attachment: Attachment { .usdt(site) }
  var probedFile: String? { site.binary }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> { .success([.usdt(site)]) }
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> { .success(ProbeContext()) }
  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String { noMatch(text) }
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {}  // listed as patterns
}
