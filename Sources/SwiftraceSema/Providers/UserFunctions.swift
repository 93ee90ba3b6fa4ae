import SwiftraceSyntax

/// `uprobe:BINARY:FUNCTION` and `uretprobe:BINARY:FUNCTION`: a function of a program or library
/// (FUNCTION may be `name+OFFSET` or an address), its arguments in registers or its `retval`.
struct UprobeRules: ProviderRules {
  let binary: String
  let function: String
  let isReturn: Bool

  static func parse(_ parts: [String], as provider: Provider) -> Result<ProbeKind, ProbeParseError> {
    // `uprobe:BIN@FILE:LINE[:COLUMN]` (bpftrace 0.24 and later): a source statement; kept whole
    // in `function` ("@FILE:LINE[:COLUMN]") until the checker finds its address.
    if provider == .uprobe, parts.count == 2 || parts.count == 3, let at = parts[0].lastIndex(of: "@"),
      parts.dropFirst().allSatisfy({ Int($0) != nil }) {
      let location = "@" + parts[0][parts[0].index(after: at)...] + ":" + parts.dropFirst().joined(separator: ":")
      return .success(.uprobe(binary: String(parts[0][..<at]), function: location))
    }
    if let e = ProbeParseError.requires(2, "\(provider.name):binary:function", provider, parts) { return .failure(e) }
    return .success(provider == .uprobe
      ? .uprobe(binary: parts[0], function: parts[1]) : .uretprobe(binary: parts[0], function: parts[1]))
  }

  /// `add` for `add` and `add+8`; nil for an address.
  var functionName: String? {
    let name = String(function.prefix { $0 != "+" })
    return name.isEmpty || name.first!.isNumber ? nil : name
  }

  var name: String { "\(provider.name):\(binary):\(function)" }
  var provider: Provider { isReturn ? .uretprobe : .uprobe }
  // A wildcard binary is a list of files, expanded by the checker, not a pattern of functions.
  var isWildcard: Bool { isPattern(function) && !isPattern(binary) }
  var firesInProcessContext: Bool { true }
  var hasRegisters: Bool { true }
  var runsLastAttachedFirst: Bool { true }
  var hasRegisterArguments: Bool { !isReturn }
  var hasReturnValue: Bool { isReturn }
  var argumentAddressSpace: AddressSpace { .user }
  var section: String { provider.name }
  var attachment: Attachment { .uprobe(binary: binary, function: function, isReturn: isReturn) }
  var probedFile: String? { binary }
  var contextType: ContextType { .opaque }
  var argumentsInContext: Bool { false }

  private func with(binary: String, function: String) -> ProbeKind {
    isReturn ? .uretprobe(binary: binary, function: function) : .uprobe(binary: binary, function: function)
  }

  /// BINARY resolved to its file (PATH, the dynamic linker's libraries), then FUNCTION among its
  /// symbols: a pattern, a C++ name demangled, an address or an offset into a function, checked.
  func expand(in sources: ProbeSources) -> Result<[ProbeKind], ProbeProblem> {
    let machine = sources.machine
    // `uprobe:*:fn` (bpftrace 0.20 and later), `uprobe:/usr/lib/*/libc.so*:fn`: every file the
    // pattern names that has the function: for `*`, the -p process's files or else every running
    // process's; for a path pattern, as -l names them (with -p, the process's files it matches).
    if isPattern(binary) {
      var files = binary == "*" && !sources.hasTargetProcess
        ? machine.expandUserBinary(binary) ?? [] : machine.filesToList(matching: binary)
      // A plain C name: files whose symbol table lacks it are passed over without reading all
      // their functions (a machine's processes map files with millions of symbols).
      let name = String(function.prefix { $0 != "+" })
      let isPlainName = !name.contains(":") && !name.contains("(") && Self.mangledIdentifier(of: name) != nil
      if !isPattern(name), isPlainName {
        files = files.filter { machine.userFileMayHaveFunction(name, in: $0) }
      }
      var kinds: [ProbeKind] = []
      for file in files where !isPattern(file) {
        if case .success(let found) = with(binary: file, function: function).rules.expand(in: sources) { kinds += found }
      }
      return .success(kinds)
    }
    guard let path = machine.resolveUserBinary(binary) else {
      return .failure(ProbeProblem(.semaUprobeTarget,
                                   "uprobe target '\(binary)' is not a file, a program on PATH or a library the dynamic linker knows"))
    }
    if function.hasPrefix("@") { return sourceStatement(in: path, machine) }
    // An address (`0x4005d6`) or an offset into a function (`main+8`) is placed as written.
    let name = String(function.prefix { $0 != "+" })
    if let address = UInt64(function.hasPrefix("0x") ? String(function.dropFirst(2)) : function,
                            radix: function.hasPrefix("0x") ? 16 : 10) {
      // bpftrace's words, which scripts look for.
      guard machine.userAddressIsCode(address, in: path) else {
        return .failure(ProbeProblem(.semaUprobeAddress, "Could not resolve address: \(path):0x\(String(address, radix: 16)) (no function of the file contains it)"))
      }
      return .success([with(binary: path, function: function)])
    }
    if let plus = function.firstIndex(of: "+"), let offset = UInt64(function[function.index(after: plus)...]),
      let size = machine.userFunctionSize(name, in: path), offset >= size {
      return .failure(ProbeProblem(.semaUprobeOffset, "Offset outside the function bounds ('\(name)' size is \(size)): +\(offset)"))
    }
    guard machine.readsUserBinaries else { return .success([with(binary: path, function: function)]) }
    guard let symbols = machine.userFunctions(in: path) else {
      return .failure(ProbeProblem(.semaUprobeTarget, "uprobe target '\(path)' is not an ELF file"))
    }
    // C++ functions also go by their demangled names (`"ns::add(int, int)"`, `"ns::*"`).
    if isPattern(name) {
      return .success(symbols.filter { wildcardMatch(name, $0) || wildcardMatch(name, machine.demangle($0)) }
        .map { with(binary: path, function: $0) })
    }
    if symbols.contains(name) { return .success([with(binary: path, function: function)]) }
    let offset = function.dropFirst(name.count)
    let mangledPart = Self.mangledIdentifier(of: name)
    return .success(symbols.filter {
      $0.hasPrefix("_Z") && (mangledPart.map($0.contains) ?? true) && machine.demangle($0) == name
    }.map { with(binary: path, function: $0 + offset) })
  }

  /// What every Itanium-mangled name of the C++ function NAME contains: its last identifier as
  /// `<length><identifier>` (`ns::add(int, int)`: `3add`); nil for operators and other names
  /// without one. Demangling only those keeps a file with 100,000 C++ symbols (LLVM linked in) fast.
  static func mangledIdentifier(of name: String) -> String? {
    let unqualified = name.prefix { $0 != "(" }.split(separator: ":").last.map(String.init) ?? ""
    guard let first = unqualified.first, first == "_" || first.isLetter, !unqualified.hasPrefix("operator"),
      unqualified.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else { return nil }
    return "\(unqualified.utf8.count)\(unqualified)"
  }

  /// A function's parameters from DWARF, where the calling convention puts them: at its entry only.
  func context(in sources: ProbeSources) -> Result<ProbeContext, ProbeProblem> {
    sources.userDebugInfo?.use(binary)
    guard !isReturn, !function.contains("+"), let name = functionName else { return .success(ProbeContext()) }
    return .success(ProbeContext(arguments: sources.userDebugInfo?.parameters(of: name, in: binary)))
  }

  /// `@FILE:LINE[:COLUMN]`: uprobes at the statements the binary's line tables place there.
  private func sourceStatement(in path: String, _ machine: any MachineFacts) -> Result<[ProbeKind], ProbeProblem> {
    let parts = function.dropFirst().split(separator: ":").map(String.init)
    guard parts.count >= 2, let line = Int(parts[1]) else {
      return .failure(ProbeProblem(.semaUprobeTarget, "a source location is written BIN@FILE:LINE[:COLUMN]"))
    }
    let column = parts.count > 2 ? Int(parts[2]) : nil
    guard let addresses = machine.sourceLineAddresses(file: parts[0], line: line, column: column, in: path) else {
      return .failure(ProbeProblem(.semaUprobeTarget, "'\(path)' has no debug information (DWARF) for source locations"))
    }
    return .success(addresses.map { with(binary: path, function: "0x" + String($0, radix: 16)) })
  }

  func noMatchMessage(_ text: String, in sources: ProbeSources) -> String {
    if function.hasPrefix("@") {
      return "\(provider.name) '\(text)': no statement begins at\(function.dropFirst().isEmpty ? "" : " " + function.dropFirst()) in \(binary)"
    }
    guard !isWildcard else { return noMatch(text) }
    if binary == "*" {
      return "\(provider.name) '\(text)': no file " + (sources.hasTargetProcess ? "of the -p process" : "a running process maps") + " has function '\(function)'"
    }
    if isPattern(binary) { return "\(provider.name) '\(text)': no file matching '\(binary)' has function '\(function)'" }
    let path = sources.machine.resolveUserBinary(binary) ?? binary
    return "\(provider.name) '\(text)': no function '\(function.prefix { $0 != "+" })' in \(path)"
  }
  /// The functions of the files the query names (`uprobe:./bin/*:f*`), or with `-p PID` of the
  /// process's program and libraries; uretprobes only when named: they are the same functions.
  static func list(_ query: ProbeQuery, in sources: ProbeSources, write: (String) -> Void) {
    let provider: Provider = query.providerText.flatMap { Provider(spelling: $0) } == .uretprobe ? .uretprobe : .uprobe
    guard query.names(.uprobe) || provider == .uretprobe else { return }
    let parts = query.parts
    let function = parts.count >= 2 ? parts.last! : "*"
    // -lv: a uprobe's parameters from the binary's DWARF, as bpftrace lists them.
    let debugInfo = query.verbose && provider == .uprobe ? sources.userDebugInfo : nil
    for path in sources.machine.filesToList(matching: parts.count >= 3 ? parts[1] : "*") {
      for name in sources.machine.userFunctions(in: path) ?? [] where wildcardMatch(function, name) {
        write("\(provider.name):\(path):\(name)\n")
        for parameter in debugInfo?.parameterDeclarations(of: name, in: path) ?? [] { write("    \(parameter)\n") }
      }
    }
  }
}
