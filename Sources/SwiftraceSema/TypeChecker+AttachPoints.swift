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
        if case .success(.kretprobe(let f)) = ProbeKind.parse(text), ProbeKind.bannedKretprobes.contains(f) {
          // bpftrace's words, which scripts look for.
          diagnostics.error(.semaBannedProbe, "kretprobe:\(f) can't be used as it might lock up your system.", at: point.range)
          continue
        }
        switch ProbeKind.parse(point.text) {
        case .failure(let e):
          diagnostics.error(.semaInvalidAttachPoint, e.message, at: point.range)
        case .success(let kind) where kind.isWildcard || kind.isUserProbe || kind.needsTargetProgram:
          guard let matches = expand(kind, at: point.range) else { continue }
          if matches.isEmpty { unmatched.append((noMatchMessage(kind, point.text), point.range)) }
          for match in matches {
            if let probe = checkedProbe(match, decl: decl, point: point, index: probes.count) { probes.append(probe) }
          }
        case .success(let kind):
          if case .watchpoint = kind, !options.hasTargetProcess {
            diagnostics.error(.semaWatchpointTarget, "watchpoint probes watch one process: run with -p PID or -c COMMAND",
                              at: point.range)
            continue
          }
          if let probe = checkedProbe(kind, decl: decl, point: point, index: probes.count) { probes.append(probe) }
        }
      }
    }
    // An attach point may match nothing here (dcsnoop.bt's `lookup_fast.constprop.*`, functions
    // of other OpenSSL or glibc versions): bpftrace skips those, and so do we, with a warning.
    // A program left with nothing to attach to is an error.
    for (message, range) in unmatched {
      if probes.isEmpty {
        diagnostics.error(.semaNoMatch, message, at: range)
      } else {
        diagnostics.warning(.semaNoMatch, message + "; skipped", at: range)
      }
    }
    // An iterator runs once, when it is read, and the trace ends: nothing else may be waiting.
    if let first = probes.first(where: { if case .iterator = $0.kind { return true } else { return false } }) {
      for p in probes where p.index != first.index && p.kind != .begin && p.kind != .end {
        diagnostics.error(.semaIteratorNotAlone,
                          "an iter probe runs once over the kernel's objects and ends the trace: only BEGIN and END may join it",
                          at: p.attachPoint.range)
      }
    }
    return probes
  }

  /// A probe with what its context offers: a tracepoint's format, the BTF arguments (and return
  /// type) of a raw tracepoint or kernel function. nil, with an error, when the kernel has none.
  func checkedProbe(_ kind: ProbeKind, decl: ProbeDecl, point: AttachPoint, index: Int) -> CheckedProbe? {
    var format: TracepointFormat?
    var arguments: [(name: String, type: CType)]?
    var returnType: CType?
    switch kind {
    case .tracepoint(let category, let event):
      format = catalog.format(category: category, event: event)
      if format == nil {
        diagnostics.error(.semaUnknownTracepoint, "tracepoint not found: \(category):\(event)", at: point.range)
        return nil
      }
    case .rawTracepoint(let event):
      arguments = kernelTypes?.rawTracepointArguments(event)
      if arguments == nil {
        diagnostics.error(.semaUnknownTracepoint, "raw tracepoint '\(event)' not found in the kernel's BTF", at: point.range)
        return nil
      }
    case .fentry(let f), .fexit(let f):
      guard let proto = kernelTypes?.functionPrototype(f) else {
        diagnostics.error(.semaUnknownFunction, "kernel function '\(f)' has no BTF description (\(kind.providerName) needs one)",
                          at: point.range)
        return nil
      }
      arguments = proto.arguments
      if case .fexit = kind { returnType = proto.returnType }
    case .uprobe(let path, let function):
      options.userDebugInfo?.use(path)
      // Parameters are where the calling convention puts them at the function's entry only.
      if !function.contains("+"), let name = kind.userFunctionName {
        arguments = options.userDebugInfo?.parameters(of: name, in: path)
      }
    case .uretprobe(let path, _):
      options.userDebugInfo?.use(path)
    case .iterator(let iterator, _):
      // The context's fields, one 8-byte slot each (unions of a pointer or an integer).
      guard let record = kernelTypes?.record(named: iterator.contextStruct, isUnion: false) else {
        diagnostics.error(.semaUnknownIterator,
                          "iter:\(iterator.rawValue) is not available: the kernel's BTF has no struct \(iterator.contextStruct)",
                          at: point.range)
        return nil
      }
      let fields = kernelTypes?.fields(of: record) ?? []
      arguments = fields.enumerated().prefix { $0.element.offset == 8 * $0.offset }.map { ($0.element.name, $0.element.type) }
    case .begin, .end, .kprobe, .kretprobe, .interval, .profile, .software, .hardware, .watchpoint,
      .functionWatchpoint, .usdtPattern, .usdt:
      break
    }
    return CheckedProbe(kind: kind, decl: decl, attachPoint: point, index: index, tracepointFormat: format,
                        rawArguments: arguments, returnType: returnType)
  }

  /// The attach points a wildcard names: tracepoints from tracefs, kernel functions from kallsyms,
  /// user functions from the target's ELF symbols (whose library name is resolved to its file).
  /// nil after an error.
  func expand(_ kind: ProbeKind, at range: SourceRange) -> [ProbeKind]? {
    switch kind {
    case .tracepoint(let c, let e):
      return catalog.tracepoints(category: c, event: e).map { .tracepoint(category: $0.category, event: $0.event) }
    case .kprobe(let pattern):
      return options.machine.kernelFunctions(matching: pattern).map { .kprobe(function: $0) }
    case .kretprobe(let pattern):
      return options.machine.kernelFunctions(matching: pattern).filter { !ProbeKind.bannedKretprobes.contains($0) }.map { .kretprobe(function: $0) }
    case .fentry(let pattern):
      return options.machine.kernelFunctions(matching: pattern).filter { kernelTypes?.functionPrototype($0) != nil }.map { .fentry(function: $0) }
    case .fexit(let pattern):
      return options.machine.kernelFunctions(matching: pattern).filter { kernelTypes?.functionPrototype($0) != nil }.map { .fexit(function: $0) }
    case .uprobe(let target, let function), .uretprobe(let target, let function):
      guard let path = options.machine.resolveUserBinary(target) else {
        diagnostics.error(.semaUprobeTarget,
                          "uprobe target '\(target)' is not a file, a program on PATH or a library the dynamic linker knows",
                          at: range)
        return nil
      }
      // An address (`0x4005d6`) or an offset into a function (`main+8`) is placed as written.
      let name = String(function.prefix { $0 != "+" })
      if let address = UInt64(function.hasPrefix("0x") ? String(function.dropFirst(2)) : function,
                              radix: function.hasPrefix("0x") ? 16 : 10) {
        // bpftrace's words, which scripts look for.
        guard options.machine.userAddressIsCode(address, in: path) else {
          diagnostics.error(.semaUprobeAddress, "Could not resolve address: \(path):0x\(String(address, radix: 16)) (no function of the file contains it)", at: range)
          return nil
        }
        return [kind.with(binary: path, function: function)]
      }
      if let plus = function.firstIndex(of: "+"), let offset = UInt64(function[function.index(after: plus)...]),
        let size = options.machine.userFunctionSize(name, in: path), offset >= size {
        diagnostics.error(.semaUprobeOffset, "Offset outside the function bounds ('\(name)' size is \(size)): +\(offset)", at: range)
        return nil
      }
      guard options.machine.readsUserBinaries else { return [kind.with(binary: path, function: function)] }
      guard let symbols = options.machine.userFunctions(in: path) else {
        diagnostics.error(.semaUprobeTarget, "uprobe target '\(path)' is not an ELF file", at: range)
        return nil
      }
      // C++ functions also go by their demangled names (`"ns::add(int, int)"`, `"ns::*"`).
      if isPattern(name) {
        return symbols.filter { wildcardMatch(name, $0) || wildcardMatch(name, options.machine.demangle($0)) }
          .map { kind.with(binary: path, function: $0) }
      }
      if symbols.contains(name) { return [kind.with(binary: path, function: function)] }
      let offset = function.dropFirst(name.count)
      return symbols.filter { $0.hasPrefix("_Z") && options.machine.demangle($0) == name }
        .map { kind.with(binary: path, function: $0 + offset) }
    case .functionWatchpoint(_, let function, let argument, let length, let mode, let async):
      guard options.hasTargetProcess, let path = options.targetExecutable else {
        diagnostics.error(.semaWatchpointTarget,
                          "watchpoints on a function's argument watch one process: run with -p PID or -c COMMAND", at: range)
        return nil
      }
      let functions = options.machine.userFunctions(in: path) ?? [function]
      return functions.filter { wildcardMatch(function, $0) }.map {
        .functionWatchpoint(binary: path, function: $0, argument: argument, length: length, mode: mode, async: async)
      }
    case .usdtPattern(let target, let provider, let name):
      let paths = options.machine.expandUserBinary(target) ?? options.machine.resolveUserBinary(target).map { [$0] } ?? []
      guard !paths.isEmpty else {
        let message = target.isEmpty
          ? "usdt probes with no binary ('usdt::provider:name') need -p PID: they attach to that process's files"
          : "usdt target '\(target)' is not a file, a program on PATH or a library the dynamic linker knows"
        diagnostics.error(.semaUprobeTarget, message, at: range)
        return nil
      }
      var found: [ProbeKind] = []
      for path in paths {
        guard let sites = options.machine.usdtSites(in: path) else {
          if paths.count == 1 {
            diagnostics.error(.semaUprobeTarget, "cannot read the USDT probes of '\(path)'", at: range)
            return nil
          }
          continue
        }
        found += sites.filter { wildcardMatch(provider, $0.provider) && wildcardMatch(name, $0.name) }.map { .usdt($0) }
      }
      return found
    case .begin, .end, .rawTracepoint, .interval, .profile, .software, .hardware, .watchpoint, .usdt, .iterator:
      return [kind]
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
        diagnostics.error(.semaPositionalMissing, "the attach point uses $\(n), but only \(options.positionalParameters.count) positional parameter\(options.positionalParameters.count == 1 ? " was" : "s were") given", at: range)
        return nil
      }
      result += options.positionalParameters[n - 1]
      rest = rest[digits.endIndex...]
    }
    return result + rest
  }

  func noMatchMessage(_ kind: ProbeKind, _ text: String) -> String {
    switch kind {
    case .uprobe(let target, let function) where !kind.isWildcard, .uretprobe(let target, let function) where !kind.isWildcard:
      let path = options.machine.resolveUserBinary(target) ?? target
      return "\(kind.providerName) '\(text)': no function '\(function.prefix { $0 != "+" })' in \(path)"
    case .begin, .end, .tracepoint, .rawTracepoint, .kprobe, .kretprobe, .fentry, .fexit, .uprobe, .uretprobe,
      .interval, .profile, .software, .hardware, .watchpoint, .functionWatchpoint, .usdtPattern, .usdt, .iterator:
      return "no \(kind.providerName) matches '\(text)'"
    }
  }
}
