import ArgumentParser
import FoundationEssentials
import Glibc
import SwiftraceBasics
import SwiftraceDriver
import SwiftraceMetrics

/// The command line: options only; the driver does the work.
@main
struct Swiftrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swiftrace",
    abstract: "A tracing language compiler for Linux: bpftrace's language, compiled to BPF in process.",
    usage: """
      swiftrace [options] FILE [ARGS...]
      swiftrace [options] - [ARGS...] < FILE
      swiftrace [options] -e 'PROGRAM' [ARGS...]
      """,
    discussion: """
      ENVIRONMENT:
      \(ConfigKey.environmentHelp)

      EXAMPLES:
        swiftrace -l '*sleep*'
            list probes containing "sleep"
        swiftrace -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'
            count openat() calls by process name
        swiftrace -e 'kprobe:do_sys_open < @[comm] = count() >'
            the same with < > as the block (kprobes need CONFIG_KPROBES)
        swiftrace --metrics 127.0.0.1:9466 examples/syscount.st
            trace, and serve the maps to Prometheus while tracing
      """)

  @Option(name: .customShort("e"), help: ArgumentHelp("The program to run.", valueName: "PROGRAM"))
  var program: String?

  @Option(name: [.customShort("c"), .customLong("cmd")], help: ArgumentHelp("Run COMMAND, trace until it exits; 'cpid' is its pid.", valueName: "COMMAND"))
  var command: String?

  @Option(name: .customLong("dump"), help: ArgumentHelp("Print a compiler stage and exit: ast, types, llvm or llvm-opt (after LLVM's optimizations).", valueName: "STAGE"))
  var dump: String?

  @Option(name: .customShort("I"), help: ArgumentHelp("Add DIR to the search path for #include in C definitions.", valueName: "DIR"))
  var includeDirectories: [String] = []

  @Option(name: .customLong("include"), help: ArgumentHelp("Include FILE before the script's C definitions.", valueName: "FILE"))
  var includeFiles: [String] = []

  @Option(name: .customShort("f"), help: ArgumentHelp("Output format: text or json.", valueName: "FORMAT"))
  var format: String = "text"

  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the trace's output to FILE instead of stdout.", valueName: "FILE"))
  var outputFile: String?

  @Option(name: [.customShort("p"), .customLong("pid")], help: ArgumentHelp("Trace process PID only (uprobes attach to it; other probes filter on it); stop when it exits.", valueName: "PID"))
  var targetPID: String?

  @Option(name: .customLong("metrics"), help: ArgumentHelp("Serve the maps' live values as OpenMetrics at http://HOST:PORT/metrics while tracing (for Prometheus).", valueName: "HOST:PORT"))
  var metrics: String?

  @Option(name: .customShort("B"), help: ArgumentHelp("Output buffering: line (flush at each newline), full (when the buffer fills), or none.", valueName: "MODE"))
  var buffering: String?

  @Option(name: [.customShort("d"), .customLong("debug")], help: ArgumentHelp("Debug dump of stages, comma-separated: ast, types, codegen (llvm), codegen-opt (llvm-opt), or all; libbpf and verifier show libbpf's messages and the verifier's logs, as -v.", valueName: "STAGE"))
  var debugStage: String?

  @Flag(name: .customShort("k"), help: "Report failed map updates and deletes at their script line; -kk also failed memory reads.")
  var helperChecks: Int

  @Flag(name: [.customShort("V"), .customLong("version")], help: "Print the version and exit.")
  var version = false

  @Flag(name: .customLong("info"), help: "Print what this system and build support, and exit.")
  var info = false

  @Flag(name: [.customShort("l"), .customLong("list")], help: "List probes matching PATTERN (all without one), or the probes of the program given with -e or a file; with -v, their arguments.")
  var list = false

  @Option(name: .customLong("emit-elf"), help: ArgumentHelp("Write the compiled BPF object to FILE and exit without loading it.", valueName: "FILE"))
  var emitELF: String?

  @Option(name: .customLong("aot"), help: ArgumentHelp("Compile the program ahead of time into FILE, an artefact that swiftrace-run (or FILE itself, an executable) runs on machines without a compiler; then exit.", valueName: "FILE"))
  var artefact: String?

  @Flag(name: .customLong("no-cache"), help: "Compile the program even if the compile cache holds it (and do not keep it there).")
  var noCache = false

  @Flag(name: .customLong("test"), help: "Run the program's test probes (test:NAME), each once, instead of tracing; exit 1 if one fails.")
  var test = false

  @Flag(name: .customLong("bench"), help: "Time the program's bench probes (bench:NAME) instead of tracing.")
  var bench = false

  @Flag(name: .customLong("no-warnings"), help: "Do not print warnings.")
  var noWarnings = false

  @Option(name: .customLong("no-feature"), help: ArgumentHelp("Accepted for bpftrace's kernel features uprobe_multi, kprobe_multi and kprobe_session, which swiftrace does not use (one link per probe).", valueName: "FEATURE,..."))
  var noFeature: String?

  @Option(name: .customLong("probe-filter"), help: ArgumentHelp("Attach only the probes whose name matches REGEX (BEGIN and END always run).", valueName: "REGEX"))
  var probeFilter: String?

  @Flag(name: .customLong("dry-run"), help: "Compile and load into the kernel (verifier included), but do not attach.")
  var dryRun = false

  @Flag(name: .customLong("fmt"), help: "Print the script formatted (two-space blocks, one statement per line, comments kept) instead of running it; with -o, into that file.")
  var formatScript = false

  @Flag(name: .customLong("unsafe"), help: "Allow actions that change the system: system(), signal(), override().")
  var unsafe = false

  // Accepted for bpftrace's scripts: USDT semaphores are always raised through the kernel's
  // reference counter, in every process that maps the file, now and later.
  @Flag(name: .customLong("usdt-file-activation"),
        help: "Raise USDT semaphores in every process running the file (always done here, through the kernel).")
  var usdtFileActivation = false

  @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not print the 'Attaching N probes...' line.")
  var quiet = false

  @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Verbose: show libbpf's messages and whole verifier logs.")
  var verbose = false

  /// Set by main from what follows `--`, before run() (argument-parser decodes only its own
  /// options into the command); written once on the main thread.
  nonisolated(unsafe) static var programOptions: [ProgramOptionArgument] = []

  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The script (unless -e is given), then its positional parameters $1, $2, ...", valueName: "FILE|ARGS"))
  var arguments: [String] = []

  /// Like ParsableCommand's main, but bad usage exits 1 (as every other input error does, and as
  /// bpftrace does) instead of argument-parser's 64.
  static func main() {
    guard let all = CommandLineWords.arguments() else { CommandLineWords.exit(1, error: CommandLineWords.noArguments) }
    // Help, laid out like bpftrace's (argument-parser answers --help with its own command).
    if all.contains(where: { $0 == "-h" || $0 == "--help" }) {
      print(bpftraceOrder(helpMessage()))
      Glibc.exit(0)
    }
    let (options, programOptions, parameters) = CommandLineWords.split(all)
    var command: ParsableCommand
    do {
      var parsed = try parseAsRoot(debugSpellings(options))
      if var swiftrace = parsed as? Swiftrace {
        if let unknown = CommandLineWords.unknownOption(in: swiftrace.arguments) { throw ValidationError(unknown) }
        Self.programOptions = programOptions
        swiftrace.arguments += parameters
        parsed = swiftrace
      }
      command = parsed
    } catch {
      let message = fullMessage(for: error)
      if exitCode(for: error) == .success {
        print(message)
        Glibc.exit(0)
      }
      CommandLineWords.exit(1, error: CommandLineWords.usageError(message))
    }
    do {
      try command.run()
    } catch {
      exit(withError: error)
    }
  }

  /// bpftrace 0.17's `-d` and `-dd` (every stage, then exit) beside `-d STAGE`: `-dd`, and a `-d`
  /// followed by another option (`-d -e '...'`) or by nothing, mean `-d all`.
  static func debugSpellings(_ arguments: [String]) -> [String] {
    var result: [String] = []
    for (i, argument) in arguments.enumerated() {
      if argument == "-dd" || (argument == "-d" && (i + 1 == arguments.count || arguments[i + 1].hasPrefix("-"))) {
        result += ["-d", "all"]
      } else {
        result.append(argument)
      }
    }
    return result
  }

  /// Help as bpftrace lays it out: usage and options first, then environment and examples
  /// (argument-parser puts the discussion before the usage).
  static func bpftraceOrder(_ help: String) -> String {
    guard let start = help.firstRange(of: "ENVIRONMENT:"), let usage = help.firstRange(of: "USAGE:"),
          start.lowerBound < usage.lowerBound else { return help }
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" }
    return String(help[..<start.lowerBound]) + help[usage.lowerBound...].trimming(isSpace) + "\n\n"
      + help[start.lowerBound..<usage.lowerBound].trimming(isSpace) + "\n"
  }

  func validate() throws {
    if version || info { return }
    if let noFeature {
      let known = ["uprobe_multi", "kprobe_multi", "kprobe_session"]
      for feature in noFeature.split(separator: ",").map(String.init) where !known.contains(feature) {
        throw ValidationError("unknown feature '\(feature)' for --no-feature; use \(known.joined(separator: ", "))")
      }
    }
    if let buffering, OutputBuffering(rawValue: buffering) == nil {
      throw ValidationError("unknown buffering mode '\(buffering)'; use line, full or none")
    }
    for stage in (debugStage ?? "").split(separator: ",").map(String.init)
    where !["all", "libbpf", "verifier"].contains(stage) && DriverOptions.Dump(debugStage: stage) == nil {
      throw ValidationError("unknown -d stage '\(stage)'; use ast, types, codegen, codegen-opt, libbpf, verifier or all")
    }
    if program == nil && arguments.isEmpty && !list { throw ValidationError("no program given: use -e PROGRAM or a script file") }
    if let metrics, MetricsServer.parse(endpoint: metrics) == nil {
      throw ValidationError("--metrics wants HOST:PORT (like 127.0.0.1:9466 or [::1]:9466), not '\(metrics)'")
    }
    if OutputFormat(rawValue: format) == nil {
      // bpftrace's words on a line of their own; the choices on the next.
      throw ValidationError("Invalid output format \"\(format)\"\nThe formats are \(OutputFormat.allCases.map(\.rawValue).joined(separator: " and ")).")
    }
    if let targetPID { _ = try Self.processID(targetPID) }
    if let dump, DriverOptions.Dump(rawValue: dump) == nil {
      throw ValidationError("unknown --dump stage '\(dump)'; use one of: \(DriverOptions.Dump.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  /// A `-p` value (ProcessIDArgument's rules).
  static func processID(_ text: String) throws -> Int32 {
    switch ProcessIDArgument.parse(text) {
    case .success(let pid): return pid
    case .failure(let error): throw ValidationError(error.description)
    }
  }

  func run() throws {
    if version {
      print("swiftrace v\(swiftraceVersion) (the language and output of bpftrace v0.17.0)")
      return
    }
    var options = DriverOptions()
    if info {
      options.info = true
      Glibc.exit(Driver.run(options))
    }
    var rest = arguments
    if list {
      options.list = true
      if program == nil, let first = rest.first {
        // `-l PATTERN`, or `-l FILE` (a script whose probes to list)
        if FileManager.default.fileExists(atPath: first) && (first.hasSuffix(".bt") || first.hasSuffix(".st")) {
          options.scriptPath = first
        } else {
          options.listPattern = first
        }
        rest.removeFirst()
      }
      options.programText = program
    } else if let program {
      options.programText = program
    } else {
      options.scriptPath = rest.removeFirst()
    }
    options.configuration.positionalParameters = rest
    options.configuration.programOptions = Self.programOptions
    options.configuration.probeFilter = probeFilter
    options.configuration.showsWarnings = !noWarnings
    options.runMode = test ? .test : bench ? .bench : .trace
    options.configuration.childCommand = command
    if let stage = dump.flatMap(DriverOptions.Dump.init(rawValue:)) { options.dumps.insert(stage) }
    // The stages print in the pipeline's order; the first dump stage decides where it stops.
    for stage in (debugStage ?? "").split(separator: ",").map(String.init) {
      switch stage {
      case "all": options.dumps.formUnion(DriverOptions.Dump.allCases)
      case "libbpf", "verifier": options.configuration.verbose = true
      default: if let dump = DriverOptions.Dump(debugStage: stage) { options.dumps.insert(dump) }
      }
    }
    options.configuration.targetPID = try targetPID.map(Self.processID)
    options.configuration.helperCheckLevel = min(helperChecks, 2)
    options.configuration.buffering = buffering.flatMap(OutputBuffering.init(rawValue:))
    options.dryRun = dryRun
    options.formatsScript = formatScript
    options.emitELFPath = emitELF
    options.artefactPath = artefact
    options.usesCache = !noCache
    options.configuration.quiet = quiet
    options.configuration.unsafe = unsafe
    options.configuration.verbose = verbose
    options.configuration.includeDirectories = includeDirectories
    options.configuration.includeFiles = includeFiles
    options.configuration.format = OutputFormat(rawValue: format) ?? .text
    options.outputPath = outputFile
    options.metricsEndpoint = metrics
    let status = Driver.run(options)
    if status != 0 { throw ExitCode(status) }
  }
}
