import SwiftraceBasics
import SwiftraceIRGen
import SwiftraceSema

/// A program over one of BPF's limits as the backend saw it (the 512-byte stack): LLVM's message
/// carries the script location from debug info and the program's name; both become the
/// diagnostic's location and the probe's name.
struct BackendLimitReport {
  let message: String
  let source: SourceFile
  let probes: [CheckedProbe]

  func render() -> String {
    let prefix = source.name + ":"
    let rest = message.hasPrefix(prefix) ? message.dropFirst(prefix.count).split(separator: ":", maxSplits: 2) : []
    guard rest.count == 3, let line = Int(rest[0]), let column = Int(rest[1]) else {
      return SystemMessage.error("the program does not fit BPF's limits: \(message)")
    }
    var what = rest[2].filter { $0 != "\n" }.trimmingSpaces()
    // "in function p0_BEGIN i32 (i8*): Looks like..." -> "in probe 'BEGIN': Looks like..."
    if what.hasPrefix("in function "), let colon = what.firstIndex(of: ":") {
      let function = what.dropFirst("in function ".count).prefix { $0 != " " }
      let probe = probes.first { "p\($0.index)_" == function.prefix("p\($0.index)_".count) }
      what = "in probe '\(probe?.name ?? String(function))'" + what[colon...]
    }
    let start = source.offset(line: line, column: column)
    let diagnostic = Diagnostic(.error, id: .codegenLimit, "the program does not fit BPF's limits " + what,
                                at: SourceRange(start: start, end: start + 1))
    return DiagnosticRenderer(source: source).render([diagnostic])
  }
}

/// A probe over BPF's size limits (BPFSizeLimits): where it is, how big, and what to do.
func oversizedProbeDiagnostic(_ probe: CheckedProbe?, instructions: Int, found: OversizeEvidence) -> Diagnostic {
  let n = groupedDigits(instructions)
  let reach = groupedDigits(BPFSizeLimits.branchReach)
  let why: String
  switch found {
  case .irInstructions:
    why = "at least \(n) instructions before optimization, and a probe has at most \(groupedDigits(BPFSizeLimits.maxInstructions)) here, as BPF branches reach \(reach) instructions"
  case .objectInstructions:
    why = "\(n) instructions, and a probe has at most \(groupedDigits(BPFSizeLimits.maxInstructions)) here, as BPF branches reach \(reach) instructions"
  case .branchReach:
    why = "\(n) instructions, with a branch across more than the \(reach) instructions BPF branches reach"
  }
  return Diagnostic(.error, id: .codegenTooLarge,
                    "probe '\(probe?.name ?? "?")' is too large for BPF: \(why); split its work over several probes",
                    at: probe.map { $0.decl.attachPoints.first?.range ?? $0.decl.range } ?? SourceRange(start: 0, end: 0))
}
