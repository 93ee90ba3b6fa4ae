import FoundationEssentials
import Glibc
import SwiftraceDebugInfo
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

/// `-l [PATTERN]` and `-lv`: the probes this machine offers, one per line, as bpftrace lists them.
/// Each provider lists its own (its rules' `list`); here are what belongs to no provider: a
/// comma-separated pattern, kernel types (`-l 'struct task*'`), and `-l -p PID`, which lists the
/// process's user probes only.
public struct ProbeListing {
  public let query: ProbeQuery
  /// `-p PID`: the process whose program and libraries the user probes are listed for.
  public let targetPID: Int32?
  let tracefs: TracefsCatalog
  let btf: KernelBTF

  public init(pattern: String?, verbose: Bool, targetPID: Int32? = nil, tracefs: TracefsCatalog = TracefsCatalog(),
              btf: KernelBTF = KernelBTF()) {
    self.query = ProbeQuery(pattern: pattern, verbose: verbose, forProcess: targetPID != nil)
    self.targetPID = targetPID
    self.tracefs = tracefs
    self.btf = btf
  }

  /// What a pattern may hold (bpftrace refuses anything else): nil when it is fine, else the first
  /// character that is not.
  public static func invalidCharacter(in pattern: String) -> Character? {
    pattern.first { c in !(c.isLetter || c.isNumber || "_-*?:./+[]{},@$\"= ".contains(c)) || !c.isASCII }
  }

  /// Writes the listing through `write`, a line at a time. A comma-separated pattern lists what
  /// each part does, in order, once each.
  public func list(_ write: (String) -> Void) {
    let pattern = query.pattern, verbose = query.verbose
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
    let sources = ProbeSources(tracepoints: tracefs, kernelTypes: btf, machine: ThisMachine(targetPID: targetPID, demanglesNames: true),
                               userDebugInfo: DwarfTypes(fallback: nil), hasTargetProcess: targetPID != nil,
                               targetExecutable: nil)
    // `-l -p PID`: the process's own probes, as bpftrace lists them (and before it may exit).
    let onlyUserProbes = targetPID != nil && pattern == nil
    Provider.list(query, in: sources, including: { !onlyUserProbes || $0.namesFile }, write: write)
  }
}
