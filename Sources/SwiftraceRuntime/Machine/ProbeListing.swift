import FoundationEssentials
import Glibc
import SwiftraceDebugInfo
import SwiftraceSema
import SwiftraceSyntax

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

  /// `-p PID`: the process whose program and libraries the user probes are listed for.
  public let targetPID: Int32?

  public init(pattern: String?, verbose: Bool, targetPID: Int32? = nil, tracefs: TracefsCatalog = TracefsCatalog(),
              btf: KernelBTF = KernelBTF()) {
    // `t:syscalls:*` lists what `tracepoint:syscalls:*` does: names are matched in full.
    self.pattern = pattern.flatMap { text -> String? in
      guard !text.isEmpty else { return nil }
      guard let colon = text.firstIndex(of: ":"), let provider = ProbeKind.canonicalProvider(String(text[..<colon])) else {
        return text
      }
      return provider + text[colon...]
    }
    self.verbose = verbose
    self.targetPID = targetPID
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

  func wants(_ listed: Provider) -> Bool {
    guard let provider else { return true }
    return wildcardMatch(provider, listed.name) || listed.aliases.contains(provider)
  }

  /// What a pattern may hold (bpftrace refuses anything else): nil when it is fine, else the first
  /// character that is not.
  public static func invalidCharacter(in pattern: String) -> Character? {
    pattern.first { c in !(c.isLetter || c.isNumber || "_-*?:./+[]{},@$\"= ".contains(c)) || !c.isASCII }
  }

  /// Writes the listing through `write`, a line at a time. A comma-separated pattern lists what
  /// each part does, in order, once each.
  public func list(_ write: (String) -> Void) {
    if let pattern, pattern.contains(",") {
      var seen = Set<String>()
      var repeated = false  // a probe listed already: its -v lines are skipped with it
      for part in pattern.split(separator: ",") {
        ProbeListing(pattern: part.trimmingSpaces(), verbose: verbose, targetPID: targetPID, tracefs: tracefs, btf: btf)
          .list { line in
            if !line.hasPrefix(" ") { repeated = !seen.insert(line).inserted }
            if !repeated { write(line) }
          }
      }
      return
    }
    // `-l 'struct task*'`, `-lv 'enum pid_type'`: kernel types, with -v their C definitions.
    if let pattern, let space = pattern.firstIndex(of: " "), ["struct", "union", "enum"].contains(String(pattern[..<space])) {
      let keyword = String(pattern[..<space]), namePattern = pattern[pattern.index(after: space)...].trimmingSpaces()
      for name in btf.typeNames(keyword, matching: namePattern) {
        if verbose, let definition = btf.cDefinition(keyword, name) { write(definition + "\n") } else { write("\(keyword) \(name)\n") }
      }
      return
    }
    // `-l -p PID`: the process's own probes, as bpftrace lists them (and before it may exit).
    if targetPID != nil && pattern == nil { return listUserProbes(write) }
    if wants(.tracepoint) {
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
    if wants(.rawtracepoint) {
      for event in btf.rawTracepointNames() {
        let name = "rawtracepoint:\(event)"
        guard matches(name) else { continue }
        write(name + "\n")
        if verbose, let arguments = btf.rawTracepointArguments(event) {
          for (i, a) in arguments.enumerated() { write("    \(a.type) \(a.name.isEmpty ? "arg\(i)" : a.name)\n") }
        }
      }
    }
    // Kernel functions, tens of thousands of them: bare `-l` lists them too, as bpftrace does, for
    // the `-l | grep vfs_read` habit.
    if wants(.kprobe) || wants(.kretprobe) {
      let providerName = wants(.kprobe) ? "kprobe" : "kretprobe"
      let functionPattern = pattern.map { String($0.split(separator: ":", maxSplits: 1).last ?? "*") } ?? "*"
      for function in Symbolizer.kernelFunctions(matching: functionPattern) { write("\(providerName):\(function)\n") }
    }
    if wants(.iter) {
      for kind in IteratorKind.allCases {
        let name = "iter:\(kind.rawValue)"
        guard matches(name), let record = btf.record(named: kind.contextStruct, isUnion: false) else { continue }
        write(name + "\n")
        if verbose {
          for field in btf.fields(of: record) where field.name != "meta" { write("    \(field.type) \(field.name)\n") }
        }
      }
    }
    for (provider, events) in [(Provider.software, PerfEvent.software), (.hardware, PerfEvent.hardware)] where wants(provider) {
      for event in events where matches("\(provider.name):\(event.name):") { write("\(provider.name):\(event.name):\n") }
    }
    listUserProbes(write)
  }

  /// uprobes and usdt probes of the files a pattern names (`uprobe:./bin/*:f*`, `*:./bin/prog:*`),
  /// or with `-p PID` of the process's program and libraries (`-l -p PID`, `usdt:*:prov:*`).
  func listUserProbes(_ write: (String) -> Void) {
    let parts = pattern.map { ProbeKind.splitAttachPoint($0) } ?? []
    // Without a provider, user probes are listed for -p's process only.
    func named(_ listed: Provider) -> Bool { provider.map { _ in wants(listed) } ?? (targetPID != nil) }
    // uretprobes only when named: they are the same functions again.
    let uprobeProvider: Provider = provider.flatMap { Provider(spelling: $0) } == .uretprobe ? .uretprobe : .uprobe
    let listsFunctions = named(.uprobe) || uprobeProvider == .uretprobe
    let listsUSDT = named(.usdt)
    guard listsFunctions || listsUSDT else { return }
    // The file part: what follows the provider when there is more after it, else any file of -p's process.
    let filePattern = parts.count >= 3 ? parts[1] : "*"
    for path in files(matching: filePattern) {
      if listsFunctions {
        let function = parts.count >= 2 ? parts.last! : "*"
        // -lv: a uprobe's parameters from the binary's DWARF, as bpftrace lists them.
        let debugInfo = verbose && uprobeProvider == .uprobe ? DwarfTypes(fallback: nil) : nil
        for name in UserBinaries.functions(in: path) ?? [] where wildcardMatch(function, name) {
          write("\(uprobeProvider.name):\(path):\(name)\n")
          for parameter in debugInfo?.parameterDeclarations(of: name, in: path) ?? [] {
            write("    \(parameter)\n")
          }
        }
      }
      if listsUSDT {
        let providerPattern = parts.count == 4 ? parts[2] : "*"
        let namePattern = parts.count >= 2 ? parts.last! : "*"
        var seen = Set<String>()
        for site in UserBinaries.usdtSites(in: path) ?? []
        where wildcardMatch(providerPattern, site.provider) && wildcardMatch(namePattern, site.name) {
          let name = "usdt:\(path):\(site.provider):\(site.name)"
          guard seen.insert(name).inserted else { continue }
          write(name + "\n")
          if verbose {
            for (i, a) in site.arguments.enumerated() { write("    arg\(i): \(a)\n") }
          }
        }
      }
    }
  }

  /// The files a listing's file part names: with -p, the process's files it matches; else the
  /// files a path (or a path with wildcards) names. A bare `*` without -p names none: every file
  /// on the machine would be too many.
  func files(matching filePattern: String) -> [String] {
    if let pid = targetPID {
      // `./prog` names the process's `/abs/path/prog`: compared by file name.
      let name = filePattern.split(separator: "/").last.map { "/" + $0 }
      return UserBinaries.mappedFiles(pid: pid).filter { path in
        filePattern.isEmpty || wildcardMatch(filePattern, path) || name.map { path.hasSuffix($0) } == true
      }
    }
    guard filePattern != "*", !filePattern.isEmpty else { return [] }
    return UserBinaries.expand(filePattern, pid: nil)
  }

  func tracepoints() -> [(category: String, event: String)] {
    tracefs.tracepoints(category: "*", event: "*")
  }
}
