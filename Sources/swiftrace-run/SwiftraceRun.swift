import ArgumentParser
import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceRunner
import SwiftraceRuntime

/// `swiftrace-run ARTEFACT [ARGS...]`: runs what `swiftrace --aot` compiled, with swiftrace's
/// options for running (output, format, process, child, metrics) and no compiler in the process.
/// An artefact starts with `#!/usr/bin/env swiftrace-run`, so that it also runs as a command.
@main
struct SwiftraceRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swiftrace-run",
    abstract: "Runs a tracing program compiled ahead of time by swiftrace --aot, without a compiler.",
    usage: """
      swiftrace-run [options] ARTEFACT [ARGS...]
      ARTEFACT [options] [ARGS...]
      """,
    discussion: """
      The artefact keeps the settings it was compiled with; BPFTRACE_* variables that only change
      how the run prints (BPFTRACE_MAX_CAT_BYTES, BPFTRACE_CPP_DEMANGLE, ...) apply here, and one
      that would change the compiled program is refused with the value it was compiled with.
      """)

  @Option(name: [.customShort("c"), .customLong("cmd")], help: ArgumentHelp("Run COMMAND, trace until it exits; 'cpid' is its pid.", valueName: "COMMAND"))
  var command: String?

  @Option(name: .customShort("f"), help: ArgumentHelp("Output format: text or json.", valueName: "FORMAT"))
  var format: String = "text"

  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the trace's output to FILE instead of stdout.", valueName: "FILE"))
  var outputFile: String?

  @Option(name: [.customShort("p"), .customLong("pid")], help: ArgumentHelp("Trace process PID only; it must be the one the artefact was compiled for (-p is part of the program).", valueName: "PID"))
  var targetPID: String?

  @Option(name: .customLong("metrics"), help: ArgumentHelp("Serve the maps' live values as OpenMetrics at http://HOST:PORT/metrics while tracing.", valueName: "HOST:PORT"))
  var metrics: String?

  @Option(name: .customShort("B"), help: ArgumentHelp("Output buffering: line, full, or none.", valueName: "MODE"))
  var buffering: String?

  @Flag(name: [.customShort("V"), .customLong("version")], help: "Print the version and exit.")
  var version = false

  @Flag(name: .customLong("test"), help: "Run the program's test probes instead of tracing.")
  var test = false

  @Flag(name: .customLong("bench"), help: "Time the program's bench probes instead of tracing.")
  var bench = false

  @Flag(name: .customLong("dry-run"), help: "Load into the kernel (verifier included), but do not attach.")
  var dryRun = false

  @Flag(name: .customLong("no-warnings"), help: "Do not print warnings.")
  var noWarnings = false

  @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not print the 'Attaching N probes...' line.")
  var quiet = false

  @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Verbose: show libbpf's messages and whole verifier logs.")
  var verbose = false

  /// What follows `--` and names an option of the program (its getopt()); set by main.
  nonisolated(unsafe) static var programOptions: [ProgramOptionArgument] = []

  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The artefact, then its positional parameters $1, $2, ...", valueName: "ARTEFACT|ARGS"))
  var arguments: [String] = []

  /// As swiftrace's main: `--` ends the options, and bad usage exits 1.
  static func main() {
    let startTime = monotonicNanoseconds()
    guard let all = CommandLineWords.arguments() else { CommandLineWords.exit(1, error: CommandLineWords.noArguments) }
    let (options, programOptions, parameters) = CommandLineWords.split(all)
    do {
      var command = try parseAsRoot(options)
      if var run = command as? SwiftraceRun {
        if let unknown = CommandLineWords.unknownOption(in: run.arguments) { throw ValidationError(unknown) }
        Self.programOptions = programOptions
        run.arguments += parameters
        command = run
        if !run.version { Glibc.exit(run.execute(startTime: startTime)) }
      }
      try command.run()
    } catch {
      let message = fullMessage(for: error)
      if exitCode(for: error) == .success {
        print(message)
        Glibc.exit(0)
      }
      CommandLineWords.exit(1, error: CommandLineWords.usageError(message))
    }
  }

  func validate() throws {
    if version { return }
    if arguments.isEmpty { throw ValidationError("no artefact given: swiftrace-run ARTEFACT [ARGS...]") }
    if let buffering, OutputBuffering(rawValue: buffering) == nil {
      throw ValidationError("unknown buffering mode '\(buffering)'; use line, full or none")
    }
    if let metrics, !Runner.isMetricsEndpoint(metrics) {
      throw ValidationError("--metrics wants HOST:PORT (like 127.0.0.1:9466 or [::1]:9466), not '\(metrics)'")
    }
    if OutputFormat(rawValue: format) == nil {
      throw ValidationError("Invalid output format \"\(format)\"\nThe formats are \(OutputFormat.allCases.map(\.rawValue).joined(separator: " and ")).")
    }
    if let targetPID, case .failure(let error) = ProcessIDArgument.parse(targetPID) { throw ValidationError(error.description) }
  }

  func run() throws {
    print("swiftrace-run v\(swiftraceVersion) (runs artefacts of swiftrace --aot)")
  }

  /// The run; its exit status.
  func execute(startTime: UInt64) -> Int32 {
    let stderr = FileOutput.standardError
    // Ctrl-C from here on stops the run cleanly, before anything attaches too.
    Signals.install()
    let artefact: Artefact
    do { artefact = try Artefact.read(from: arguments[0]) } catch {
      stderr.write(SystemMessage.error(error.description))
      return 1
    }
    var asked = Configuration()
    do {
      try asked.read(environment: environmentVariables())
    } catch let failure {
      stderr.write(SystemMessage.error(failure.description))
      return 1
    }
    MessageStyle.setColor(asked.color)
    asked.positionalParameters = Array(arguments.dropFirst())
    asked.programOptions = Self.programOptions
    asked.childCommand = command
    if let targetPID, case .success(let pid) = ProcessIDArgument.parse(targetPID) { asked.targetPID = pid }
    asked.format = OutputFormat(rawValue: format) ?? .text
    asked.buffering = buffering.flatMap(OutputBuffering.init(rawValue:))
    asked.quiet = quiet
    asked.verbose = verbose
    asked.showsWarnings = !noWarnings
    let configuration: Configuration
    do { configuration = try asked.forRun(builtWith: artefact.plan.configuration) } catch let failure {
      stderr.write(SystemMessage.error("\(arguments[0]): \(failure.description)"))
      return 1
    }
    MessageStyle.showsWarnings = configuration.showsWarnings
    if let pid = configuration.targetPID, kill(pid, 0) != 0 && errno == ESRCH {
      stderr.write(SystemMessage.error("-p \(pid): no such process"))
      return 1
    }
    var request = RunRequest(configuration: configuration, startTime: startTime)
    request.mode = test ? .test : bench ? .bench : .trace
    request.dryRun = dryRun
    request.outputPath = outputFile
    request.metricsEndpoint = metrics
    return Runner.run(artefact.plan, request)
  }

  /// The process's environment, without Foundation.
  func environmentVariables() -> [String: String] {
    var result: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
      let text = String(cString: pointer)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      entry += 1
    }
    return result
  }
}
