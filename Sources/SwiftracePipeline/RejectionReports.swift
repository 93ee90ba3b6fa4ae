import SwiftraceBasics
import SwiftraceIRGen
import SwiftraceSema

/// A verifier rejection as a located diagnostic: the probe, the script line of the instruction the
/// verifier stopped at (the kernel prints BTF line info as `; TEXT @ FILE:LINE` in its log), the
/// verifier's reason, then the end of the log.
public struct VerifierReport: Sendable {
  /// The refused probe's name and attach point, when the program is a probe's.
  let probe: (name: String, range: SourceRange)?
  public let program: String
  public let log: String

  init(probe: CheckedProbe?, program: String, log: String) {
    self.probe = probe.map { ($0.name, $0.decl.attachPoints.first?.range ?? $0.decl.range) }
    self.program = program
    self.log = log
  }

  /// The instruction-level lines of the log, without libbpf's frame around it.
  var verifierLines: [Substring] {
    let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
    let begin = lines.lastIndex { $0.contains("-- BEGIN PROG LOAD LOG --") }.map { $0 + 1 } ?? 0
    let end = lines.lastIndex { $0.contains("-- END PROG LOAD LOG --") } ?? lines.count
    return begin < end ? lines[begin..<end].map { $0 } : []
  }

  /// The script line of the last instruction the verifier looked at.
  var scriptLine: Int? {
    for line in verifierLines.reversed() where line.hasPrefix(";") {
      guard let at = line.ranges(of: " @ ").last, let colon = line[at.upperBound...].lastIndex(of: ":") else {
        continue
      }
      if let number = Int(line[line.index(after: colon)...]) { return number }
    }
    return nil
  }

  /// Why the verifier refused: its last message that is not an instruction, a source line or a
  /// statistic.
  var reason: String {
    let statistics = ["processed ", "cur state", "old state", "verification time", "stack depth", "mark_precise",
                      "last_idx", "regs=", "parent "]
    for line in verifierLines.reversed() {
      if line.hasPrefix(";") || statistics.contains(where: { line.hasPrefix($0) }) { continue }
      if let colon = line.firstIndex(of: ":"), line[..<colon].allSatisfy(\.isNumber), colon > line.startIndex { continue }
      return String(line)
    }
    return "no reason given"
  }

  /// Where to point: the rejected line's text, else the probe's attach points.
  func range(in source: SourceFile) -> SourceRange {
    if let line = scriptLine, line >= 1, line <= source.lineCount {
      let text = source.lineText(line)
      let indent = text.prefix { $0 == " " || $0 == "\t" }.utf8.count
      let start = source.offset(line: line, column: indent + 1)
      return SourceRange(start: start, end: start + max(1, text.utf8.count - indent))
    }
    if let probe { return probe.range }
    return SourceRange(start: 0, end: 0)
  }

  func diagnostic(in source: SourceFile) -> Diagnostic {
    let name = probe.map { "probe '\($0.name)'" } ?? "program '\(program)'"
    var why = reason
    // The verifier rewrites some instructions into several (inlined helpers), which can stretch a
    // branch of a program near the size limit past what BPF branches reach.
    if why.contains("16-bit range") || why.hasPrefix("jump out of range") {
      why += " (the probe is too large: BPF branches reach \(groupedDigits(BPFSizeLimits.branchReach)) instructions; split its work over several probes)"
    }
    // percpu_kaddr(): the verifier finds a kernel variable's address in kallsyms, which lists
    // variables only in kernels built with CONFIG_KALLSYMS_ALL.
    if why.hasPrefix("ldimm64 failed to find the address for kernel symbol") {
      why += " (the kernel looks variables up in kallsyms, which lists them only in kernels built with CONFIG_KALLSYMS_ALL; this one was not)"
    }
    return Diagnostic(.error, id: .verifierRejected, "the kernel's BPF verifier rejected \(name): \(why)",
                      at: range(in: source))
  }

  /// The last lines of the verifier's own log, for the text below the diagnostic.
  func tail(lines: Int) -> String {
    let all = verifierLines
    let shown = all.suffix(lines)
    return (all.count > lines ? "... (\(all.count - lines) lines omitted; -v shows them)\n" : "")
      + shown.joined(separator: "\n")
  }
}

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

/// 250012 as "250,012".
func groupedDigits(_ n: Int) -> String {
  var digits = String(n.magnitude)
  var i = digits.count - 3
  while i > 0 {
    digits.insert(",", at: digits.index(digits.startIndex, offsetBy: i))
    i -= 3
  }
  return (n < 0 ? "-" : "") + digits
}
