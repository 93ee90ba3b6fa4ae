import SwiftraceBasics
import SwiftraceSema

/// A verifier rejection as a located diagnostic: the probe, the script line of the instruction the
/// verifier stopped at (the kernel prints BTF line info as `; TEXT @ FILE:LINE` in its log), the
/// verifier's reason, then the end of the log.
struct VerifierReport {
  let probe: CheckedProbe?
  let program: String
  let log: String

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
    if let probe { return probe.decl.attachPoints.first?.range ?? probe.decl.range }
    return SourceRange(start: 0, end: 0)
  }

  func diagnostic(in source: SourceFile) -> Diagnostic {
    let name = probe.map { "probe '\($0.name)'" } ?? "program '\(program)'"
    return Diagnostic(.error, id: "verifier.rejected", "the kernel's BPF verifier rejected \(name): \(reason)",
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
