import FoundationEssentials
import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceClang
import SwiftraceDebugInfo
import SwiftraceIRGen
import SwiftraceMetrics
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

public typealias OutputFormat = SwiftraceRuntime.OutputFormat
public typealias OutputBuffering = SwiftraceBasics.OutputBuffering

public let swiftraceVersion = "0.1.0"

/// What the command line asked for.
public struct DriverOptions {
  public enum Dump: String, CaseIterable, Sendable {
    case ast, types, llvm
  }

  /// Program text from `-e`, or nil to read `scriptPath`.
  public var programText: String?
  public var scriptPath: String?
  public var positionalParameters: [String] = []
  public var childCommand: String?
  public var dump: Dump?
  public var dryRun = false
  /// `--emit-elf FILE`: write the BPF object to FILE and stop before loading it.
  public var emitELFPath: String?
  public var quiet = false
  /// `--unsafe`
  public var unsafe = false
  /// `-l [PATTERN]`: list probes instead of tracing (those of the program when one is given).
  public var list = false
  public var listPattern: String?
  /// `--info`
  public var info = false
  /// `-d all`: every dump, one after another.
  public var dumpAll = false
  /// `-p PID`
  public var targetPID: Int32?
  /// `-B MODE`
  public var buffering: OutputBuffering?
  /// `-k` (1) or `-kk` (2)
  public var helperCheckLevel = 0
  public var verbose = false
  /// `-I DIR` and `--include FILE` for C definitions.
  public var includeDirectories: [String] = []
  public var includeFiles: [String] = []
  public var format: OutputFormat = .text
  /// `-o FILE`
  public var outputPath: String?
  /// `--metrics HOST:PORT`: serve the maps as OpenMetrics while tracing.
  public var metricsEndpoint: String?
  /// Where tracepoint formats are read; tests point this at fixtures.
  public var tracefsRoots: [String]?

  public init() {}
}

/// Runs the stages in order and stops after the first stage that reports errors. Nothing below the
/// command-line target exits the process; the driver returns the exit status.
public enum Driver {
  public static func run(_ options: DriverOptions) -> Int32 {
    let startTime = monotonicNanoseconds()
    let stderr = FileOutput.standardError
    let stdout = FileOutput.standardOutput
    defer { stdout.flush() }
    let environment = ProcessInfo.processInfo.environment
    // Ctrl-C from here on stops the trace cleanly: during compiling and loading, before anything
    // attaches (the default action would only kill the process, and a blocked SIGINT stayed
    // pending until the trace had attached).
    if !options.list && !options.info { Signals.install() }
    let settings: Settings
    switch Settings.read(environment) {
    case .success(let s): settings = s
    case .failure(let problem):
      stderr.write(SystemMessage.error(problem.description))
      return 1
    }
    if options.info {
      mountTracefsIfNeeded()
      stdout.write(SystemInfo.report(version: swiftraceVersion))
      return 0
    }
    // Everything past parsing needs the kernel: tracefs, BTF, loading. Without the privileges, one
    // line says so (instead of a "tracepoint not found" from an unreadable tracefs).
    if options.dump != .ast && !hasTracingPrivileges() {
      stderr.write(SystemMessage.error("swiftrace must run as root (or with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH); only --dump=ast works without"))
      return 1
    }
    if let pid = options.targetPID, kill(pid, 0) != 0 && errno == ESRCH {
      stderr.write(SystemMessage.error("-p \(pid): no such process"))
      return 1
    }

    if options.list && options.programText == nil && options.scriptPath == nil {
      mountTracefsIfNeeded()
      if let pattern = options.listPattern, let c = ProbeListing.invalidCharacter(in: pattern) {
        // bpftrace's words ("invalid character"), which scripts look for.
        stderr.write(SystemMessage.error("invalid character '\(c.isASCII && !c.isWhitespace ? String(c) : c.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())' in the probe pattern '\(pattern)'"))
        return 1
      }
      ProbeListing(pattern: options.listPattern, verbose: options.verbose, targetPID: options.targetPID)
        .list { stdout.write($0) }
      return 0
    }

    // Source
    let source: SourceFile
    if let text = options.programText {
      source = SourceFile(name: "<command-line>", text: text)
    } else if let path = options.scriptPath {
      let file = path == "-" ? PosixFile.standardInput : PosixFile(path: path)
      let text = file?.readToEnd().map { String(rawBytes: $0) }
      guard let text else {
        stderr.write(SystemMessage.error("failed to open file '\(path)': \(errorString(errno))"))
        return 1
      }
      // A program or any other binary given by mistake: one line, not a screenful per byte.
      if text.utf8.contains(0) {
        stderr.write(SystemMessage.error("'\(path)' is not a text file (it holds NUL bytes): give a script, or a program with -e"))
        return 1
      }
      source = SourceFile(name: path == "-" ? "<stdin>" : path, text: text)
    } else {
      stderr.write(SystemMessage.error("no program given: use -e PROGRAM or a script file"))
      return 1
    }
    let diagnostics = DiagnosticEngine(source: source)
    func reportDiagnostics() -> Bool {
      if !diagnostics.diagnostics.isEmpty {
        stderr.write(DiagnosticRenderer(source: source).render(diagnostics.sorted))
      }
      return diagnostics.hasErrors
    }

    // Tokens -> AST
    // The passes recurse as deep as the script nests (which the parser bounds): they run on a
    // thread with room for that. BEGIN, END and the -c child stay on this one (`tid` in BEGIN is
    // the process's, as in bpftrace).
    let program = withLargeStack { Parser.parse(source, diagnostics: diagnostics) }
    if reportDiagnostics() { return 1 }
    if program.probes.isEmpty {
      stderr.write("\(source.name):1:1: error: the program has no probes\n")
      return 1
    }
    if options.dump == .ast || options.dumpAll {
      stdout.write(withLargeStack { ASTPrinter.print(program) })
      if !options.dumpAll { return 0 }
    }

    // AST -> checked program
    let roots = options.tracefsRoots ?? TracefsCatalog().roots
    if options.tracefsRoots == nil { mountTracefsIfNeeded() }
    var checkOptions = TypeChecker.Options()
    checkOptions.positionalParameters = options.positionalParameters
    checkOptions.hasChildCommand = options.childCommand != nil || options.dump != nil || options.dumpAll
    checkOptions.unsafe = options.unsafe
    checkOptions.hasTargetProcess = options.childCommand != nil || options.targetPID != nil || options.dump != nil
      || options.dumpAll
    checkOptions.targetExecutable = options.targetPID.map { UserBinaries.executable(ofProcess: $0) }
      ?? options.childCommand.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first }
        .flatMap { ChildProcess.findProgram(String($0)) }
    // BPFTRACE_NO_CPP_DEMANGLE=1 keeps C++ names mangled, in `func` and in printed symbols alike.
    let demangle = settings.demangle
    checkOptions.machine = ThisMachine(targetPID: options.targetPID, demanglesNames: demangle)
    checkOptions.stringLength = settings.stringLength
    // C definitions (libclang) first, then the DWARF of uprobe targets, the kernel's BTF behind.
    let userTypes = DwarfTypes(fallback: KernelBTF())
    checkOptions.userDebugInfo = userTypes
    var kernelTypes: KernelTypeCatalog = userTypes
    if !program.cDefinitions.isEmpty || !options.includeFiles.isEmpty {
      let definitions = CDefinitions(
        definitions: program.cDefinitions.map { ($0.text, source.lineAndColumn(of: $0.range.start).line) },
        includeDirectories: options.includeDirectories, includeFiles: options.includeFiles, fallback: kernelTypes)
      for p in definitions.problems where p.isError {
        let at = source.offset(line: p.line, column: p.column)
        diagnostics.error(.clangError, p.message, at: SourceRange(start: at, end: at + 1))
      }
      if options.verbose, !definitions.missingHeaders.isEmpty {
        stderr.write("swiftrace: not installed, using kernel BTF instead: \(definitions.missingHeaders.joined(separator: ", "))\n")
      }
      if reportDiagnostics() { return 1 }
      kernelTypes = definitions
    }
    let checked = withLargeStack {
      TypeChecker.check(program, source: source, diagnostics: diagnostics, catalog: TracefsCatalog(roots: roots),
                        kernelTypes: kernelTypes, options: checkOptions)
    }
    if reportDiagnostics() { return 1 }
    if options.list {
      for probe in checked.probes { stdout.write(probe.name + "\n") }
      return 0
    }
    // Every attach point is one program here, so both of bpftrace's limits count the same thing;
    // bpftrace checks the programs first (at code generation), then the probes (at attach).
    for (variable, limit) in [("BPFTRACE_MAX_BPF_PROGS", settings.maxPrograms), ("BPFTRACE_MAX_PROBES", settings.maxProbes)] {
      if checked.probes.count > limit {
        stderr.write(SystemMessage.error("the program has \(checked.probes.count) probes, one BPF program each, more than the limit of \(limit); raise it with \(variable) (many probes can slow the system down)"))
        return 1
      }
    }
    if options.dump == .types || options.dumpAll {
      stdout.write(withLargeStack { TypeDump.print(checked) })
      if !options.dumpAll { return 0 }
    }

    // The child is started (held) before code generation: cpid becomes an immediate.
    var child: ChildProcess?
    if let command = options.childCommand, options.dump == nil, !options.dumpAll, !options.dryRun,
       options.emitELFPath == nil {
      do { child = try ChildProcess(command: command) } catch {
        stderr.write(SystemMessage.error("\(error)"))
        return 1
      }
    }

    // Checked program -> LLVM IR -> BPF object
    var irOptions = IRGenOptions()
    irOptions.childPID = UInt64(child?.pid ?? 0)
    irOptions.startTimeNanoseconds = startTime
    if let n = settings.mapKeysMax { irOptions.maxMapEntries = n }
    // BPFTRACE_PERF_RB_PAGES: bpftrace's per-CPU perf buffer pages; here, pages of the one ring
    // buffer all CPUs share (a power of two, at least the default 1 MiB spread over CPUs).
    if let pages = settings.perfPages {
      var bytes = pages * Int(getpagesize()) * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
      bytes = 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
      irOptions.ringBufferBytes = max(Int(getpagesize()), bytes)
    }
    irOptions.targetPID = options.targetPID.map { UInt64($0) }
    irOptions.helperCheckLevel = options.helperCheckLevel
    let generator = IRGenerator(checked: checked, options: irOptions)
    let code: BPFObjectCode
    do {
      if options.dump == .llvm || options.dumpAll {
        stdout.write(try withLargeStack { Result { () throws(IRGenError) in try generator.generateIR() } }.get())
        return 0
      }
      code = try withLargeStack { Result { () throws(IRGenError) in try generator.generateObject() } }.get()
    } catch .limit(let message) {
      // LLVM writes "NAME:LINE:COL: in function FN TYPE: what": a located diagnostic.
      stderr.write(BackendLimitReport(message: message, source: source, probes: checked.probes).render())
      return 1
    } catch .tooLarge(let index, let instructions, let found) {
      let probe = checked.probes.first { $0.index == index }
      stderr.write(DiagnosticRenderer(source: source).render([
        oversizedProbeDiagnostic(probe, instructions: instructions, found: found)]))
      return 1
    } catch {
      stderr.write(SystemMessage.error("\(error)"))
      return 1
    }

    /// FILE created (or emptied) for writing; nil after saying why not.
    func createFile(_ path: String) -> Int32? {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      if fd < 0 { stderr.write(SystemMessage.error("cannot write '\(path)': \(errorString(errno))")) }
      return fd < 0 ? nil : fd
    }
    if let path = options.emitELFPath {
      guard let fd = createFile(path) else { return 1 }
      let written = code.elf.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      let failure = errno
      close(fd)
      guard written == code.elf.count else {
        stderr.write(SystemMessage.error("cannot write '\(path)': \(errorString(written < 0 ? failure : ENOSPC))"))
        return 1
      }
      return 0
    }

    // Object -> loaded programs -> session -> printed output
    var sessionOptions = SessionOptions()
    sessionOptions.dryRun = options.dryRun
    sessionOptions.quiet = options.quiet
    sessionOptions.verbose = options.verbose
    sessionOptions.child = child
    sessionOptions.format = options.format
    sessionOptions.targetPID = options.targetPID
    sessionOptions.userSymbols = settings.userSymbols
    sessionOptions.perfPages = settings.perfPages ?? 64
    sessionOptions.demangle = demangle
    if let n = settings.catBytesMax { sessionOptions.catBytesMax = n }
    if let path = options.outputPath, !options.dryRun {
      guard let fd = createFile(path) else { return 1 }
      sessionOptions.output = FileOutput(fd: fd)
    }
    sessionOptions.output.buffering = options.buffering
    var metricsServer: MetricsServer?
    if let endpoint = options.metricsEndpoint, !options.dryRun {
      do { metricsServer = try MetricsServer(endpoint: endpoint) } catch {
        stderr.write(SystemMessage.error("\(error)"))
        return 1
      }
      // Said always when it is not what was written: every interface (`:PORT`), or a port the
      // kernel chose (`:0`); with -v in any case.
      let everyInterface = endpoint.hasPrefix(":"), chosenPort = endpoint.hasSuffix(":0")
      if options.verbose || everyInterface || chosenPort {
        let reach = everyInterface ? " (every interface: give an address such as 127.0.0.1:PORT to limit it)" : ""
        stderr.write("swiftrace: serving the maps at http://\(metricsServer!.address)/metrics\(reach)\n")
      }
      sessionOptions.metrics = metricsServer
    }
    defer { metricsServer?.stop() }
    let names = { (role: BPFObjectCode.ProgramSymbol.Role) in
      Dictionary(uniqueKeysWithValues: code.programs.filter { $0.role == role }.map { ($0.probeIndex, $0.functionName) })
    }
    var objectCode = Session.ObjectCode(elf: code.elf, programNames: names(.probe), mapSymbols: code.mapSymbols)
    objectCode.watchpointSetupNames = names(.watchpointSetup)
    objectCode.helperErrorSites = code.helperErrorSites.map { ($0.helper, $0.range) }
    do {
      let status = try Session(checked: checked, code: objectCode, options: sessionOptions).run()
      sessionOptions.output.flush()
      // Output that could not be written (a full disk under -o) is a failed trace.
      return status == 0 && sessionOptions.output.lostOutput ? 1 : status
    } catch .verifier(let program, _, let log) {
      stdout.flush()
      let report = VerifierReport(probe: checked.probes.first { objectCode.programNames[$0.index] == program },
                                  program: program, log: log)
      stderr.write(DiagnosticRenderer(source: source).render([report.diagnostic(in: source)]))
      stderr.write(options.verbose ? log + "\n" : report.tail(lines: 12) + "\nhint: run with -v to see the whole verifier log\n")
      return 1
    } catch {
      stdout.flush()
      stderr.write(SystemMessage.error("\(error)"))
      if options.verbose, let log = error.fullLog { stderr.write(log + "\n") }
      return 1
    }
  }

  /// Root, or the capabilities tracing needs (CapEff in /proc/self/status).
  static func hasTracingPrivileges() -> Bool {
    if geteuid() == 0 { return true }
    guard let status = readWholeFile("/proc/self/status") else { return false }
    let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
    guard let hex = line?.split(separator: "\t").last, let caps = UInt64(hex, radix: 16) else { return false }
    let needed: [UInt64] = [2, 38, 39]  // CAP_DAC_READ_SEARCH, CAP_PERFMON, CAP_BPF
    return needed.allSatisfy { caps & (1 << $0) != 0 }
  }


  /// Tracepoint formats live in tracefs; mount it where the kernel expects it when it is missing
  /// (as root; otherwise the checker reports the tracepoint as not found).
  static func mountTracefsIfNeeded() {
    if !TracefsCatalog().isAvailable {
      _ = mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil)
    }
  }
}
