import SwiftraceBasics
import SwiftraceSyntax

/// Attach points: each one written becomes the probes it names. Positional parameters are
/// substituted, wildcards and library names expanded against the machine, and every probe gets
/// the context its kind offers (a tracepoint's format, BTF arguments, a return type).
extension TypeChecker {
  func resolveProbes() -> [CheckedProbe] {
    var probes: [CheckedProbe] = []
    var unmatched: [(message: String, range: SourceRange)] = []
    for decl in program.probes {
      for var point in decl.attachPoints {
        guard let text = substitutingPositionals(in: point.text, at: point.range) else { continue }
        point.text = text
        switch ProbeKind.parse(point.text) {
        case .failure(let e):
          diagnostics.error(.invalidAttachPoint(e.message), at: point.range)
        case .success(let kind):
          switch kind.rules.expand(in: probeSources) {
          case .failure(let problem):
            diagnostics.error(problem, at: point.range)
          case .success(let matches):
            if matches.isEmpty { unmatched.append((kind.rules.noMatchMessage(point.text, in: probeSources), point.range)) }
            for match in matches {
              // --probe-filter: BEGIN and END always stay.
              if let keep = options.probeFilter, match != .begin, match != .end, !keep(match.name) { continue }
              if probes.count > options.maxProbes {
                // Over the limit the program is refused: the probes are only counted.
                probes.append(CheckedProbe(kind: match, decl: decl, attachPoint: point, index: probes.count,
                                           tracepointFormat: nil, rawArguments: nil, returnType: nil))
              } else if let probe = checkedProbe(match, decl: decl, point: point, index: probes.count) {
                probes.append(probe)
              }
            }
          }
        }
      }
    }
    // An attach point may match nothing here (dcsnoop.bt's `lookup_fast.constprop.*`, functions
    // of other OpenSSL or glibc versions): bpftrace skips those, and so do we, with a warning.
    // A program left with nothing to attach to is an error.
    for (message, range) in unmatched {
      if probes.isEmpty || options.missingProbes == .error {
        diagnostics.error(.noMatch(message), at: range)
      } else if options.missingProbes == .warn {
        diagnostics.warning(.noMatchSkipped(message), at: range)
      }
    }
    // An iterator runs once, when it is read, and the trace ends: nothing else may be waiting.
    if let first = probes.first(where: { if case .iterator = $0.kind { return true } else { return false } }) {
      for p in probes where p.index != first.index && p.kind != .begin && p.kind != .end {
        diagnostics.error(.iteratorNotAlone, at: p.attachPoint.range)
      }
    }
    return probes
  }

  /// What the providers read to expand and type attach points.
  var probeSources: ProbeSources {
    ProbeSources(tracepoints: catalog, kernelTypes: kernelTypes, machine: options.machine,
                 userDebugInfo: options.userDebugInfo, hasTargetProcess: options.hasTargetProcess,
                 targetExecutable: options.targetExecutable)
  }

  /// A probe with what its context offers (its provider's rules say); nil, with an error, when
  /// the machine has none.
  func checkedProbe(_ kind: ProbeKind, decl: ProbeDecl, point: AttachPoint, index: Int) -> CheckedProbe? {
    switch kind.rules.context(in: probeSources) {
    case .failure(let problem):
      diagnostics.error(problem, at: point.range)
      return nil
    case .success(let context):
      return CheckedProbe(kind: kind, decl: decl, attachPoint: point, index: index, tracepointFormat: context.format,
                          rawArguments: context.arguments, returnType: context.returnType)
    }
  }

  /// `interval:ms:$1`, `uprobe:$1:f`, `BEG$1`: positional parameters in an attach point stand for
  /// their text, as in bpftrace. nil (after an error) when one is not given.
  func substitutingPositionals(in text: String, at range: SourceRange) -> String? {
    guard text.contains("$") else { return text }
    var result = ""
    var rest = Substring(text)
    while let dollar = rest.firstIndex(of: "$") {
      result += rest[..<dollar]
      let digits = rest[rest.index(after: dollar)...].prefix { $0.isNumber }
      guard let n = Int(digits), n >= 1 else {
        result.append("$")
        rest = rest[rest.index(after: dollar)...]
        continue
      }
      guard n <= options.positionalParameters.count else {
        diagnostics.error(.positionalMissing(n, given: options.positionalParameters.count), at: range)
        return nil
      }
      result += options.positionalParameters[n - 1]
      fixedParameters.insert(n)
      rest = rest[digits.endIndex...]
    }
    return result + rest
  }
}
