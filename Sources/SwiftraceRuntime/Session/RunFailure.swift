import SwiftraceBasics
import SwiftraceBPF
import SwiftraceSema

/// Why a run stopped before it could trace: a program the verifier refused (located in the
/// script), or another failure to load, attach or run.
public enum RunFailure: Error {
  case verifier(VerifierReport)
  /// Kernel struct fields the program reads (CO-RE relocations) that the running kernel lacks.
  case missingKernelFields([KernelFieldAccess])
  /// Tracepoint fields the program reads that the running kernel's formats place otherwise.
  case changedTracepointFields([(use: TracepointFieldUse, now: TracepointFormat.Field?)])
  case load(BPFError)

  /// The text for standard error; VERBOSE adds the whole verifier or libbpf log.
  public func report(source: SourceFile, verbose: Bool) -> String {
    switch self {
    case .verifier(let report):
      return DiagnosticRenderer(source: source).render([report.diagnostic(in: source)])
        + (verbose ? report.log + "\n" : report.tail(lines: 12) + "\nhint: run with -v to see the whole verifier log\n")
    case .missingKernelFields(let accesses):
      return DiagnosticRenderer(source: source).render(accesses.map { access in
        let what = access.record.isUnion ? "union" : "struct"
        return Diagnostic(.error, id: .verifierKernelField,
                          "the running kernel's \(what) \(access.record.name) has no field '\(access.field.name)' "
                            + "(the program was built against kernel types that have it)", at: access.range)
      })
    case .changedTracepointFields(let changes):
      return DiagnosticRenderer(source: source).render(changes.map { use, now in
        let point = "\(use.category):\(use.event)"
        let compiled = "`\(use.field.declaration)` at offset \(use.field.offset) (\(use.field.size) bytes)"
        let text = now.map {
          "the running kernel's tracepoint \(point) has `\($0.declaration)` at offset \($0.offset) (\($0.size) bytes), "
            + "and the program was compiled with \(compiled): compile it again on this kernel"
        } ?? "the running kernel's tracepoint \(point) has no field '\(use.field.name)' (the program was compiled with \(compiled))"
        return Diagnostic(.error, id: .verifierTracepointField, text, at: use.range)
      })
    case .load(let error):
      return SystemMessage.error("\(error)") + (verbose ? error.fullLog.map { $0 + "\n" } ?? "" : "")
    }
  }
}

extension Session {
  /// Loads, runs and prints PLAN: the trace's exit status (its output lost is a failed trace).
  public static func run(_ plan: RunPlan, options: SessionOptions) throws(RunFailure) -> Int32 {
    // The code reads each tracepoint field where the compiling kernel had it.
    if options.checksTracepointFormats {
      let formats = options.tracefsRoots.map { TracefsCatalog(roots: $0) } ?? TracefsCatalog()
      let changed = TracepointFormat.changedFields(plan.tracepointFields, catalog: formats)
      if !changed.isEmpty { throw .changedTracepointFields(changed) }
    }
    do {
      let status = try Session(plan: plan, options: options).run()
      options.output.flush()
      return status == 0 && options.output.lostOutput ? 1 : status
    } catch .verifier(let program, _, let log) {
      // libbpf makes an instruction whose relocation found no field a call of an invalid helper
      // (0xbad2310), which the verifier refuses; the fields are named against the kernel's types.
      if log.contains("CO-RE relocation") || log.contains("unknown#195896080") {
        let missing = KernelBTF.runningKernel().missing(plan.kernelFields)
        if !missing.isEmpty { throw .missingKernelFields(missing) }
      }
      let names = plan.code.programNames(.probe)
      let probe = plan.probes.first { names[$0.index] == program }
      throw .verifier(VerifierReport(probe: probe, program: program, log: log))
    } catch {
      throw .load(error)
    }
  }
}

/// A verifier rejection as a located diagnostic: the probe, the script line of the instruction the
/// verifier stopped at (the kernel prints BTF line info as `; TEXT @ FILE:LINE` in its log), the
/// verifier's reason, then the end of the log.
public struct VerifierReport: Sendable {
  /// The refused probe's name and attach point, when the program is a probe's.
  let probe: (name: String, range: SourceRange)?
  public let program: String
  public let log: String

  init(probe: RunPlan.Probe?, program: String, log: String) {
    self.probe = probe.map { ($0.name, $0.blockRange) }
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

  public func diagnostic(in source: SourceFile) -> Diagnostic {
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
  public func tail(lines: Int) -> String {
    let all = verifierLines
    let shown = all.suffix(lines)
    return (all.count > lines ? "... (\(all.count - lines) lines omitted; -v shows them)\n" : "")
      + shown.joined(separator: "\n")
  }
}
