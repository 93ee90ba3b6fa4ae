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
}
