import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceClang
import SwiftraceDebugInfo
import SwiftraceIRGen
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

/// One script through the stages, each a value the next takes:
///
///     source -parse-> Program -check-> CheckedProgram -lower-> LLVM IR
///                                                     -emit-> BPFObjectCode -load, run-> exit status
///
/// The command line, the tests and the fuzzer run these same stages and may stop after any of
/// them. Source problems land in `diagnostics`; everything else that stops a stage is a
/// `CompileFailure`, which `report(_:)` renders.
public final class Compilation {
  /// The script, and after `parse` the files it imports too.
  public private(set) var source: SourceFile
  /// The command line's and the environment's, then the script's config block's (at `check`).
  public private(set) var configuration: Configuration
  public private(set) var diagnostics: DiagnosticEngine
  /// The probes of the checked program, for reports of the later stages.
  private var checkedProbes: [CheckedProbe] = []
  /// How many of the diagnostics `takeDiagnostics()` has rendered.
  private var renderedDiagnostics = 0
  /// The files and directories read besides the script (imports), for the compile cache.
  public internal(set) var inputPaths: Set<String> = []
  /// Why the compiled program may not be cached, when something it depends on cannot be checked
  /// later (headers libclang read); nil when it may.
  public private(set) var uncacheableReason: String?

  public init(source: SourceFile, configuration: Configuration) {
    self.source = source
    self.configuration = configuration
    self.diagnostics = DiagnosticEngine(source: source)
  }

  /// What the checker reads besides the script: tracepoint formats, kernel and user types, the
  /// machine's symbols and files, and whether a process to trace will exist.
  public struct Context {
    public var tracepoints: any TracepointCatalog
    /// The kernel's types (BTF), behind the DWARF of uprobe targets when `userDebugInfo` is that.
    public var kernelTypes: any KernelTypeCatalog
    public var userDebugInfo: (any UserDebugInfo)?
    public var machine: any MachineFacts
    /// `cpid` may be used: `-c` was given (or nothing runs: a dump).
    public var hasChildCommand: Bool
    /// Watchpoints have a process to attach to: `-c` or `-p` (or nothing runs).
    public var hasTargetProcess: Bool
    /// The program that process runs.
    public var targetExecutable: String?

    public init(tracepoints: any TracepointCatalog, kernelTypes: any KernelTypeCatalog,
                userDebugInfo: (any UserDebugInfo)? = nil, machine: any MachineFacts = UnknownMachine(),
                hasChildCommand: Bool = true, hasTargetProcess: Bool = true, targetExecutable: String? = nil) {
      self.tracepoints = tracepoints
      self.kernelTypes = kernelTypes
      self.userDebugInfo = userDebugInfo
      self.machine = machine
      self.hasChildCommand = hasChildCommand
      self.hasTargetProcess = hasTargetProcess
      self.targetExecutable = targetExecutable
    }

    /// This machine as CONFIGURATION sees it: tracefs at `tracefsRoots` (the system's when nil),
    /// BTF with the DWARF of uprobe targets in front, symbols resolved as `-p`'s process sees
    /// them. `willRun` is false when only dumping: then `cpid` and watchpoints are allowed
    /// without `-c` or `-p`.
    public static func thisMachine(_ configuration: Configuration, tracefsRoots: [String]?, willRun: Bool) -> Context {
      let userTypes = DwarfTypes(fallback: KernelBTF())
      return Context(
        tracepoints: TracefsCatalog(roots: tracefsRoots ?? TracefsCatalog().roots),
        kernelTypes: userTypes, userDebugInfo: userTypes,
        machine: ThisMachine(targetPID: configuration.targetPID, demanglesNames: configuration.cppDemangle),
        hasChildCommand: configuration.childCommand != nil || !willRun,
        hasTargetProcess: configuration.childCommand != nil || configuration.targetPID != nil || !willRun,
        targetExecutable: configuration.targetPID.map { UserBinaries.executable(ofProcess: $0) }
          ?? configuration.childCommand.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first }
            .flatMap { ChildProcess.findProgram(String($0)) })
    }
  }

  // MARK: Stages

  /// Tokens -> AST.
  public func parse() throws(CompileFailure) -> Program {
    // The passes recurse as deep as the script nests (which the parser bounds): they run on a
    // thread with room for that.
    var program = withLargeStack { Parser.parse(source, diagnostics: diagnostics) }
    if diagnostics.hasErrors { throw .diagnostics }
    if !program.imports.isEmpty {
      // The imported files' text follows the script's, each a part of one source (diagnostics
      // name the file and its line), and the whole is parsed again.
      let files = try importedFiles(of: program)
      source = SourceFile(parts: [(source.name, source.text)] + files)
      diagnostics = DiagnosticEngine(source: source)
      renderedDiagnostics = 0
      program = withLargeStack { Parser.parse(source, diagnostics: diagnostics) }
      if diagnostics.hasErrors { throw .diagnostics }
      // An imported file's probes come first, as in bpftrace: its BEGIN runs before the script's.
      let scriptEnd = source.parts[1].offset
      program.probes = program.probes.filter { $0.range.start >= scriptEnd } + program.probes.filter { $0.range.start < scriptEnd }
    }
    if program.probes.isEmpty { throw .noProbes }
    return program
  }

  /// AST -> checked program: C definitions through libclang first, then the type checker, then
  /// the limits on probes.
  public func check(_ program: Program, in context: Context) throws(CompileFailure) -> CheckedProgram {
    configuration = applyingConfigBlock(of: program)
    if diagnostics.hasErrors { throw .diagnostics }
    substituteConfigRecords(in: program)
    var kernelTypes = context.kernelTypes
    if !program.cDefinitions.isEmpty || !configuration.includeFiles.isEmpty {
      if !configuration.includeFiles.isEmpty || program.cDefinitions.contains(where: { $0.text.contains("#include") }) {
        uncacheableReason = "its C definitions include headers"
      }
      let definitions = CDefinitions(
        definitions: program.cDefinitions.map { ($0.text, source.lineAndColumn(of: $0.range.start).line) },
        includeDirectories: configuration.includeDirectories, includeFiles: configuration.includeFiles,
        fallback: kernelTypes)
      for p in definitions.problems where p.isError {
        let at = source.offset(line: p.line, column: p.column)
        diagnostics.error(.clangError, p.message, at: SourceRange(start: at, end: at + 1))
      }
      if configuration.verbose, !definitions.missingHeaders.isEmpty {
        FileOutput.standardError.write("swiftrace: not installed, using kernel BTF instead: \(definitions.missingHeaders.joined(separator: ", "))\n")
      }
      if diagnostics.hasErrors { throw .diagnostics }
      kernelTypes = definitions
    }
    var options = TypeChecker.Options()
    options.positionalParameters = configuration.positionalParameters
    options.programOptions = configuration.programOptions
    options.stackMode = StackFormat.Mode(rawValue: configuration.stackMode) ?? .bpftrace
    options.refusesTimeSeries = configuration.unstableFeatures[.unstableTseries] == "error"
    if let pattern = configuration.probeFilter {
      guard let regex = try? Regex(pattern) else { throw .system("invalid --probe-filter regular expression '\(pattern)'") }
      nonisolated(unsafe) let filter = regex  // matched on this thread only, during the check
      options.probeFilter = { $0.contains(filter) }
    }
    options.unsafe = configuration.unsafe
    options.stringLength = configuration.maxStrlen
    options.stringTrailer = configuration.truncationTrailer(newerSyntax: program.newerSyntax != nil)
    options.newerValues = program.newerSyntax != nil
    options.hasChildCommand = context.hasChildCommand
    options.hasTargetProcess = context.hasTargetProcess
    options.targetExecutable = context.targetExecutable
    options.machine = context.machine
    options.userDebugInfo = context.userDebugInfo
    options.missingProbes = configuration.missingProbes ?? .warn
    options.maxProbes = min(configuration.maxProbes, configuration.maxBpfProgs)
    let checked = withLargeStack {
      TypeChecker.check(program, source: source, diagnostics: diagnostics, catalog: context.tracepoints,
                        kernelTypes: kernelTypes, options: options)
    }
    if diagnostics.hasErrors { throw .diagnostics }
    try checkProgramOptions(checked)
    if let pattern = configuration.probeFilter, checked.probes.allSatisfy({ $0.kind == .begin || $0.kind == .end }) {
      throw .system("no probe matches --probe-filter '\(pattern)'")
    }
    checkedProbes = checked.probes
    // Every attach point is one program here, so both of bpftrace's limits count the same thing;
    // bpftrace checks the programs first (at code generation), then the probes (at attach).
    for (key, limit) in [(ConfigKey.maxBpfProgs, configuration.maxBpfProgs), (.maxProbes, configuration.maxProbes)] {
      if checked.probes.count > limit {
        throw .system("the program has \(checked.probes.count) probes, one BPF program each, more than the limit of \(limit); raise it with \(key.environmentVariable) (many probes can slow the system down)")
      }
    }
    return checked
  }

  /// Every `--name` given after `--` must be an option the program reads (bpftrace's rule: a
  /// misspelt option is an error, not silently its default).
  func checkProgramOptions(_ checked: CheckedProgram) throws(CompileFailure) {
    let known = Set(checked.programOptions.map(\.name))
    let unknown = configuration.programOptions.map(\.name).filter { !known.contains($0) }
    guard !unknown.isEmpty else { return }
    let list = unknown.map { "--\($0)" }.joined(separator: ", ")
    let takes = checked.programOptions.isEmpty
      ? "it reads none (a program reads options with getopt())"
      : "it reads " + checked.programOptions.map { option in
        "--\(option.name) (default \(option.defaultValue)\(option.description.isEmpty ? "" : ": \(option.description)"))"
      }.joined(separator: ", ")
    throw .system("unknown program option\(unknown.count == 1 ? "" : "s") \(list): \(takes)")
  }

  /// Checked program -> LLVM IR, as text.
  public func lower(_ checked: CheckedProgram) throws(CompileFailure) -> String {
    let generator = IRGenerator(checked: checked, options: irOptions)
    return try backend(checked) { () throws(IRGenError) in try generator.generateIR() }
  }

  /// Checked program -> LLVM IR after LLVM's optimizations, as text (what the BPF comes from).
  public func lowerOptimized(_ checked: CheckedProgram) throws(CompileFailure) -> String {
    let generator = IRGenerator(checked: checked, options: irOptions)
    return try backend(checked) { () throws(IRGenError) in try generator.generateOptimizedIR() }
  }

  /// Checked program -> BPF object.
  /// The object depends on the script and the configuration only: what the run alone knows (the
  /// `-c` child's pid, the start time) the session writes into it after loading.
  public func emit(_ checked: CheckedProgram) throws(CompileFailure) -> BPFObjectCode {
    let generator = IRGenerator(checked: checked, options: irOptions)
    return try backend(checked) { () throws(IRGenError) in try generator.generateObject() }
  }

  /// Checked program and object -> what a run needs (RunPlan), which artefacts and the cache store.
  public func plan(_ checked: CheckedProgram, code: BPFObjectCode) -> RunPlan {
    RunPlan(checked: checked, code: code, configuration: configuration)
  }

  /// Plan -> loaded programs -> session -> printed output: the trace's exit status (its output
  /// lost is a failed trace). A refused program is a failure located in the script.
  public func run(_ plan: RunPlan, options: SessionOptions) throws(CompileFailure) -> Int32 {
    do {
      return try Session.run(plan, options: options)
    } catch {
      throw .run(error)
    }
  }

  /// The session's options this configuration gives; the caller adds what only it holds (the
  /// child, the output file, the metrics endpoint).
  public var sessionOptions: SessionOptions { SessionOptions(configuration: configuration) }

  // MARK: Failures

  /// The diagnostics found since the last call (warnings of a stage that went on, say), rendered
  /// in source order; each is rendered once.
  public func takeDiagnostics() -> String {
    let new = diagnostics.diagnostics[renderedDiagnostics...]
    renderedDiagnostics = diagnostics.diagnostics.count
    guard !new.isEmpty else { return "" }
    let sorted = new.enumerated().sorted { a, b in
      (a.element.range.start, a.offset) < (b.element.range.start, b.offset)
    }.map(\.element)
    return DiagnosticRenderer(source: source).render(sorted)
  }

  /// The text that says why the compilation stopped, for standard error.
  /// Diagnostics not rendered yet come first.
  public func report(_ failure: CompileFailure) -> String {
    let probes = checkedProbes
    let renderer = DiagnosticRenderer(source: source)
    let pending = takeDiagnostics()
    return pending + reportText(failure, probes: probes, renderer: renderer)
  }

  private func reportText(_ failure: CompileFailure, probes: [CheckedProbe], renderer: DiagnosticRenderer) -> String {
    switch failure {
    case .diagnostics:
      return ""
    case .noProbes:
      return "\(source.name):1:1: error: the program has no probes\n"
    case .system(let message):
      return SystemMessage.error(message)
    case .backendLimit(let message):
      return BackendLimitReport(message: message, source: source, probes: probes).render()
    case .tooLarge(let index, let instructions, let found):
      return renderer.render([oversizedProbeDiagnostic(probes.first { $0.index == index }, instructions: instructions,
                                                       found: found)])
    case .run(let failure):
      return failure.report(source: source, verbose: configuration.verbose)
    }
  }

  private var irOptions: IRGenOptions {
    var options = IRGenOptions()
    if let n = configuration.maxMapKeys { options.maxMapEntries = n }
    // perf_rb_pages: bpftrace's per-CPU perf buffer pages; here, pages of the one ring buffer all
    // CPUs share (a power of two, at least the default 1 MiB spread over CPUs).
    if let pages = configuration.perfRbPages {
      var bytes = pages * Int(getpagesize()) * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
      bytes = 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
      options.ringBufferBytes = max(Int(getpagesize()), bytes)
    }
    options.targetPID = configuration.targetPID.map { UInt64($0) }
    options.helperCheckLevel = configuration.helperCheckLevel
    options.license = configuration.license
    options.onStackLimit = configuration.onStackLimit
    return options
  }

  private func backend<T>(_ checked: CheckedProgram, _ body: () throws(IRGenError) -> T) throws(CompileFailure) -> T {
    do {
      return try withLargeStack { Result { () throws(IRGenError) in try body() } }.get()
    } catch .limit(let message) {
      // LLVM writes "NAME:LINE:COL: in function FN TYPE: what": a located diagnostic.
      throw .backendLimit(message)
    } catch .tooLarge(let index, let instructions, let found) {
      throw .tooLarge(probeIndex: index, instructions: instructions, found: found)
    } catch {
      throw .system("\(error)")
    }
  }
}

/// Why a stage stopped.
public enum CompileFailure: Error {
  /// Errors in the script: `Compilation.diagnostics` has them.
  case diagnostics
  /// The script has no probes.
  case noProbes
  /// A problem of the system or of the configuration, in one sentence.
  case system(String)
  /// LLVM refused the program for one of BPF's limits (the 512-byte stack), with its message.
  case backendLimit(String)
  /// A probe over BPF's size limits.
  case tooLarge(probeIndex: Int, instructions: Int, found: OversizeEvidence)
  /// Loading (the verifier's verdict included), attaching or running failed.
  case run(RunFailure)
}
