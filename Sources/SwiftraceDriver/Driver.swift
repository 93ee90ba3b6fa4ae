import FoundationEssentials
import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceClang
import SwiftraceDebugInfo
import SwiftraceIRGen
import SwiftraceMetrics
import SwiftracePipeline
import SwiftraceRunner
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

public typealias OutputFormat = SwiftraceBasics.OutputFormat
public typealias Configuration = SwiftraceBasics.Configuration
public typealias OutputBuffering = SwiftraceBasics.OutputBuffering


/// What the command line asked for: what to run, where to stop, and where results go. How to
/// compile and print is the `configuration`, which the environment completes.
public struct DriverOptions {
  public enum Dump: String, CaseIterable, Sendable {
    case ast, types, llvm
    /// The IR after LLVM's optimizations, what becomes BPF (`-d codegen-opt`).
    case optimizedLLVM = "llvm-opt"

    /// bpftrace's `-d` stage names for these (codegen is the IR as generated).
    public init?(debugStage: String) {
      switch debugStage {
      case "codegen": self = .llvm
      case "codegen-opt": self = .optimizedLLVM
      default: self.init(rawValue: debugStage)
      }
    }
  }

  /// Program text from `-e`, or nil to read `scriptPath`.
  public var programText: String?
  public var scriptPath: String?
  public var configuration = Configuration()
  /// The stages to print (`--dump`, `-d a,b`, `-d all`), each once, in the pipeline's order; the
  /// run stops after the last one.
  public var dumps: Set<Dump> = []
  public var dryRun = false
  /// `--fmt`: print the script formatted instead of running it.
  public var formatsScript = false
  /// `--test`, `--bench`: run those probes instead of tracing.
  public var runMode = RunMode.trace
  /// `--emit-elf FILE`: write the BPF object to FILE and stop before loading it.
  public var emitELFPath: String?
  /// False with `--no-cache`: compile even when the compile cache holds the program.
  public var usesCache = true
  /// `--aot FILE`: write an artefact (the object and everything its run needs) to FILE for
  /// `swiftrace-run`, and stop before loading it.
  public var artefactPath: String?
  /// `-l [PATTERN]`: list probes instead of tracing (those of the program when one is given).
  public var list = false
  public var listPattern: String?
  /// `--info`
  public var info = false
  /// `-o FILE`
  public var outputPath: String?
  /// `--metrics HOST:PORT`: serve the maps as OpenMetrics while tracing.
  public var metricsEndpoint: String?
  /// Where tracepoint formats are read; tests point this at fixtures.
  public var tracefsRoots: [String]?

  public init() {}

  /// What a run of CONFIGURATION is asked for on this command line.
  func runRequest(_ configuration: Configuration, startTime: UInt64) -> RunRequest {
    var request = RunRequest(configuration: configuration, startTime: startTime)
    request.mode = runMode
    request.dryRun = dryRun
    request.outputPath = outputPath
    request.metricsEndpoint = metricsEndpoint
    request.tracefsRoots = tracefsRoots
    return request
  }

  /// Only printing stages: nothing is loaded or run.
  var onlyDumps: Bool { !dumps.isEmpty }
  /// Nothing runs here: the stages print, or the compiled program is written out.
  var runsNothing: Bool { onlyDumps || artefactPath != nil }

  /// Whether `stage` is printed, and whether the run stops after it.
  func dumps(_ stage: Dump) -> (print: Bool, stop: Bool) {
    let last = Dump.allCases.last { dumps.contains($0) }
    return (dumps.contains(stage), last == stage)
  }
}

/// Runs the stages of a `Compilation` in order and stops after the one the options ask for, or
/// the first that fails. Nothing below the command-line target exits the process; the driver
/// returns the exit status.
public enum Driver {
  public static func run(_ options: DriverOptions) -> Int32 {
    let startTime = monotonicNanoseconds()
    let stderr = FileOutput.standardError
    let stdout = FileOutput.standardOutput
    defer { stdout.flush() }
    // Ctrl-C from here on stops the trace cleanly: during compiling and loading, before anything
    // attaches (the default action would only kill the process, and a blocked SIGINT stayed
    // pending until the trace had attached).
    if !options.list && !options.info { Signals.install() }
    var configuration = options.configuration
    do { try configuration.read(environment: ProcessInfo.processInfo.environment) } catch {
      stderr.write(SystemMessage.error(error.description))
      return 1
    }
    MessageStyle.setColor(configuration.color)
    MessageStyle.showsWarnings = configuration.showsWarnings
    if options.formatsScript {
      // Syntax only: no kernel, no root.
      guard let source = readSource(options) else { return 1 }
      return formatScript(source, options)
    }
    if let status = runWithoutScript(options) { return status }
    guard let source = readSource(options) else { return 1 }
    var cached: CachedCompilation?
    if options.usesCache, !options.runsNothing, !options.list, options.emitELFPath == nil,
      let cache = CompileCache.forThisUser(environment: ProcessInfo.processInfo.environment) {
      let key = CompileCache.key(source: source, configuration: configuration, tracefsRoots: options.tracefsRoots)
      // Parameters are not in the key: an entry whose program reads them as values runs with
      // these; one that compiled in others is compiled again (and replaced).
      if let entry = cache.lookup(key), entry.plan.parameters.check(
        configuration.positionalParameters, builtWith: entry.plan.configuration.positionalParameters) == nil {
        return runCached(entry, path: cache.path(of: key), configuration: configuration, options, startTime: startTime)
      }
      cached = CachedCompilation(cache: cache, key: key)
    }
    let compilation = Compilation(source: source, configuration: configuration)
    do {
      return try run(compilation, options, startTime: startTime, caching: cached)
    } catch {
      stdout.flush()
      stderr.write(compilation.report(error))
      return 1
    }
  }

  /// `--fmt`: the script in swiftrace's style on stdout (or in `-o FILE`, written whole or not at
  /// all); a script that does not parse gets its errors and exit status 1.
  static func formatScript(_ source: SourceFile, _ options: DriverOptions) -> Int32 {
    let diagnostics = DiagnosticEngine(source: source)
    guard let text = withLargeStack({ Formatter.format(source, diagnostics: diagnostics) }) else {
      FileOutput.standardError.write(DiagnosticRenderer(source: source).render(diagnostics.sorted))
      return 1
    }
    guard let path = options.outputPath else {
      FileOutput.standardOutput.write(text)
      return 0
    }
    let temporary = path + ".swiftrace-fmt"
    do {
      let fd = try createFile(temporary)
      let bytes = Array(text.utf8)
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      close(fd)
      guard written == bytes.count, rename(temporary, path) == 0 else {
        unlink(temporary)
        FileOutput.standardError.write(SystemMessage.error("cannot write '\(path)': \(errorString(errno))"))
        return 1
      }
    } catch {
      FileOutput.standardError.write(SystemMessage.error("\(error)"))
      return 1
    }
    return 0
  }

  /// The stages, stopping where OPTIONS say.
  static func run(_ compilation: Compilation, _ options: DriverOptions, startTime: UInt64,
                  caching: CachedCompilation? = nil) throws(CompileFailure) -> Int32 {
    let stdout = FileOutput.standardOutput
    let configuration = compilation.configuration
    // What the compiler printed, kept with a cache entry to be printed again when it is used.
    var warnings = ""
    func report(_ text: String) {
      FileOutput.standardError.write(text)
      warnings += text
    }
    // BEGIN, END and the -c child stay on this thread (`tid` in BEGIN is the process's, as in
    // bpftrace); the passes run on threads with room for deep recursion.
    let program = try compilation.parse()
    report(compilation.takeDiagnostics())
    if options.dumps(.ast).print {
      stdout.write(withLargeStack { ASTPrinter.print(program) })
      if options.dumps(.ast).stop { return 0 }
    }

    if options.tracefsRoots == nil { Runner.mountTracefsIfNeeded() }
    var context = Compilation.Context.thisMachine(configuration, tracefsRoots: options.tracefsRoots,
                                                  willRun: !options.runsNothing)
    let machine = RecordingMachine(context.machine)
    context.machine = machine
    let checked = try compilation.check(program, in: context)
    report(compilation.takeDiagnostics())
    if options.list {
      for probe in checked.probes { stdout.write(probe.name + "\n") }
      return 0
    }
    if options.dumps(.types).print {
      stdout.write(withLargeStack { TypeDump.print(checked) })
      if options.dumps(.types).stop { return 0 }
    }
    if options.dumps(.llvm).print {
      stdout.write(try compilation.lower(checked))
      if options.dumps(.llvm).stop { return 0 }
    }
    if options.dumps(.optimizedLLVM).print {
      stdout.write(try compilation.lowerOptimized(checked))
      return 0
    }

    let code = try compilation.emit(checked)
    if let path = options.emitELFPath {
      let fd = try createFile(path)
      let written = code.elf.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      let failure = errno
      close(fd)
      guard written == code.elf.count else {
        throw .system("cannot write '\(path)': \(errorString(written < 0 ? failure : ENOSPC))")
      }
      return 0
    }

    let plan = compilation.plan(checked, code: code)
    if let path = options.artefactPath {
      let artefact = Artefact(swiftraceVersion: swiftraceVersion, builtOnKernel: SystemInfo.kernelRelease, plan: plan)
      do { try artefact.write(to: path) } catch { throw .system(error.description) }
      return 0
    }
    if let caching {
      // Everything the program was compiled from that is not in its key.
      var inputs = compilation.inputPaths.union(machine.paths)
      for probe in plan.probes { if let file = probe.kind.probedFile { inputs.insert(file) } }
      if let executable = context.targetExecutable { inputs.insert(executable) }
      if let why = compilation.uncacheableReason ?? machine.volatileQuestion {
        if configuration.verbose { FileOutput.standardError.write("swiftrace: not caching the compiled program: \(why)\n") }
      } else if caching.cache.store(plan, key: caching.key, inputs: inputs, warnings: warnings), configuration.verbose {
        FileOutput.standardError.write("swiftrace: cached the compiled program in \(caching.cache.path(of: caching.key))\n")
      }
    }
    // The configuration after the script's config block (applied when checking).
    var request = options.runRequest(compilation.configuration, startTime: startTime)
    request.compiledHere = true  // against the formats just read: nothing to compare
    return Runner.run(plan, request)
  }

  /// A compilation the cache does not have yet: where it goes once compiled.
  struct CachedCompilation {
    let cache: CompileCache
    let key: String
  }

  /// Runs a program from the compile cache: nothing is parsed, checked or compiled.
  static func runCached(_ entry: Artefact, path: String, configuration: Configuration, _ options: DriverOptions,
                        startTime: UInt64) -> Int32 {
    FileOutput.standardError.write(entry.cacheRecord?.warnings ?? "")
    if configuration.verbose { FileOutput.standardError.write("swiftrace: running the program compiled earlier, from \(path)\n") }
    // The key holds every setting that changes code: only how the run prints can differ.
    let runConfiguration: Configuration
    do { runConfiguration = try configuration.forRun(builtWith: entry.plan.configuration, parameters: entry.plan.parameters) } catch {
      return fail(error.description)
    }
    // Runner.run mounts tracefs when the plan's tracepoints need it.
    return Runner.run(entry.plan, options.runRequest(runConfiguration, startTime: startTime))
  }

  /// `--info`, and `-l` without a program: they need no script.
  static func runWithoutScript(_ options: DriverOptions) -> Int32? {
    let stdout = FileOutput.standardOutput
    if options.info {
      Runner.mountTracefsIfNeeded()
      stdout.write(SystemInfo.report(version: swiftraceVersion))
      return 0
    }
    // Everything past parsing needs the kernel: tracefs, BTF, loading. Without the privileges, one
    // line says so (instead of a "tracepoint not found" from an unreadable tracefs).
    if options.dumps != [.ast] && !hasTracingPrivileges() {
      return fail("swiftrace must run as root (or with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH); only --dump=ast works without")
    }
    if let pid = options.configuration.targetPID, kill(pid, 0) != 0 && errno == ESRCH {
      return fail("-p \(pid): no such process")
    }
    guard options.list && options.programText == nil && options.scriptPath == nil else { return nil }
    Runner.mountTracefsIfNeeded()
    if let pattern = options.listPattern, let c = ProbeListing.invalidCharacter(in: pattern) {
      // bpftrace's words ("invalid character"), which scripts look for.
      return fail("invalid character '\(c.isASCII && !c.isWhitespace ? String(c) : c.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())' in the probe pattern '\(pattern)'")
    }
    ProbeListing(pattern: options.listPattern, verbose: options.configuration.verbose,
                 targetPID: options.configuration.targetPID).list { stdout.write($0) }
    return 0
  }

  /// The script from `-e`, a file or standard input; nil after saying why not.
  static func readSource(_ options: DriverOptions) -> SourceFile? {
    if let text = options.programText { return SourceFile(name: "<command-line>", text: text) }
    guard let path = options.scriptPath else {
      _ = fail("no program given: use -e PROGRAM or a script file")
      return nil
    }
    let file = path == "-" ? PosixFile.standardInput : PosixFile(path: path)
    guard let text = file?.readToEnd().map({ String(rawBytes: $0) }) else {
      _ = fail("failed to open file '\(path)': \(errorString(errno))")
      return nil
    }
    // A program or any other binary given by mistake: one line, not a screenful per byte.
    if text.utf8.contains(0) {
      _ = fail("'\(path)' is not a text file (it holds NUL bytes): give a script, or a program with -e")
      return nil
    }
    return SourceFile(name: path == "-" ? "<stdin>" : path, text: text)
  }

  /// PATH created (or emptied) for writing.
  static func createFile(_ path: String) throws(CompileFailure) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw .system("cannot write '\(path)': \(errorString(errno))") }
    return fd
  }

  static func fail(_ message: String) -> Int32 {
    FileOutput.standardError.write(SystemMessage.error(message))
    return 1
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

}
