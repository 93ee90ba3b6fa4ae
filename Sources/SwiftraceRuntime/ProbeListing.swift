import FoundationEssentials
import Glibc
import SwiftraceSema

/// `-l [PATTERN]` and `-lv`: the probes this machine offers, one per line, as bpftrace lists them.
/// A pattern is matched against whole probe names with `*` and `?`; a pattern without a provider
/// (`sys_enter_open*`) is matched against the last part of each name. Kernel functions are listed
/// only when asked for (`kprobe:...`), as there are tens of thousands; user functions only for
/// a named binary (`uprobe:/bin/bash:*`).
public struct ProbeListing {
  public let pattern: String?
  public let verbose: Bool
  public let tracefs: TracefsCatalog
  public let btf: KernelBTF

  public init(pattern: String?, verbose: Bool, tracefs: TracefsCatalog = TracefsCatalog(), btf: KernelBTF = KernelBTF()) {
    self.pattern = pattern.flatMap { $0.isEmpty ? nil : $0 }
    self.verbose = verbose
    self.tracefs = tracefs
    self.btf = btf
  }

  var provider: String? {
    guard let pattern, pattern.contains(":") else { return nil }
    return String(pattern.prefix { $0 != ":" })
  }

  func matches(_ name: String) -> Bool {
    guard let pattern else { return true }
    if !pattern.contains(":") { return wildcardMatch(pattern, String(name.split(separator: ":").last ?? "")) }
    return wildcardMatch(pattern, name)
  }

  func wants(_ providerName: String, aliases: [String] = []) -> Bool {
    guard let provider else { return true }
    return wildcardMatch(provider, providerName) || aliases.contains(provider)
  }

  /// Writes the listing through `write`, a line at a time.
  public func list(_ write: (String) -> Void) {
    if wants("tracepoint", aliases: ["t"]) {
      for tp in tracepoints() {
        let name = "tracepoint:\(tp.category):\(tp.event)"
        guard matches(name) else { continue }
        write(name + "\n")
        if verbose, let format = tracefs.format(category: tp.category, event: tp.event) {
          for field in format.fields where !field.name.hasPrefix("common_") {
            write("    \(field.declaration)\n")
          }
        }
      }
    }
    if wants("rawtracepoint", aliases: ["rt"]) {
      for event in btf.rawTracepointNames() {
        let name = "rawtracepoint:\(event)"
        guard matches(name) else { continue }
        write(name + "\n")
        if verbose, let arguments = btf.rawTracepointArguments(event) {
          for (i, a) in arguments.enumerated() { write("    \(a.type) \(a.name.isEmpty ? "arg\(i)" : a.name)\n") }
        }
      }
    }
    if provider != nil, wants("kprobe", aliases: ["k"]) || wants("kretprobe", aliases: ["kr"]) {
      let providerName = wants("kprobe", aliases: ["k"]) ? "kprobe" : "kretprobe"
      let functionPattern = pattern.map { String($0.split(separator: ":", maxSplits: 1).last ?? "*") } ?? "*"
      for function in Symbolizer.kernelFunctions(matching: functionPattern) { write("\(providerName):\(function)\n") }
    }
    for (provider, events) in [("software", PerfEvent.software), ("hardware", PerfEvent.hardware)] where wants(provider) {
      for event in events where matches("\(provider):\(event.name):") { write("\(provider):\(event.name):\n") }
    }
    listUSDT(write)
    if let pattern, let p = provider, ["uprobe", "u", "uretprobe", "ur"].contains(p) {
      let parts = ProbeKind.splitAttachPoint(pattern)
      if parts.count == 3, let path = UserBinaries.resolve(parts[1]) {
        let providerName = p.hasPrefix("ur") ? "uretprobe" : "uprobe"
        for function in UserBinaries.functions(in: path) ?? [] where wildcardMatch(parts[2], function) {
          write("\(providerName):\(path):\(function)\n")
        }
      }
    }
  }

  /// `usdt:BINARY:[PROVIDER:]NAME` patterns list the binary's USDT probes, with -v their arguments.
  func listUSDT(_ write: (String) -> Void) {
    guard let pattern, provider == "usdt" || provider == "U" else { return }
    let parts = ProbeKind.splitAttachPoint(pattern)
    guard parts.count >= 3, let path = UserBinaries.resolve(parts[1]) else { return }
    let providerPattern = parts.count == 4 ? parts[2] : "*"
    var seen = Set<String>()
    for site in UserBinaries.usdtSites(in: path) ?? []
    where wildcardMatch(providerPattern, site.provider) && wildcardMatch(parts.last!, site.name) {
      let name = "usdt:\(path):\(site.provider):\(site.name)"
      guard seen.insert(name).inserted else { continue }
      write(name + "\n")
      if verbose {
        for (i, a) in site.arguments.enumerated() { write("    arg\(i): \(a)\n") }
      }
    }
  }

  func tracepoints() -> [(category: String, event: String)] {
    tracefs.tracepoints(category: "*", event: "*")
  }
}
