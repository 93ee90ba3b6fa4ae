import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceRunner
import SwiftraceRuntime

/// `swiftrace-run ARTEFACT [ARGS...]`: runs what `swiftrace --aot` compiled, with swiftrace's
/// options for running (output, format, process, child, metrics) and no compiler in the process.
/// An artefact starts with `#!/usr/bin/env swiftrace-run`, so that it also runs as a command.
@main
struct SwiftraceRun {
  var command: String?
  var format = "text"
  var outputFile: String?
  var targetPID: String?
  var metrics: String?
  var buffering: String?
  var test = false
  var bench = false
  var dryRun = false
  var noWarnings = false
  var quiet = false
  var verbose = false
  /// The artefact, then its positional parameters.
  var arguments: [String] = []
  /// What follows `--` and names an option of the program (its getopt()).
  var programOptions: [ProgramOptionArgument] = []

  /// As swiftrace's main: `--` ends the options, and bad usage exits 1.
  static func main() {
    let startTime = monotonicNanoseconds()
    guard let all = CommandLineWords.arguments() else { CommandLineWords.exit(1, error: CommandLineWords.noArguments) }
    let (options, programOptions, parameters) = CommandLineWords.split(all)
    let parsed: RunArguments
    switch RunArguments.parse(options) {
    case .success(let arguments): parsed = arguments
    case .failure(let error): CommandLineWords.exit(1, error: error.text)
    }
    if parsed.flags.contains(.help) {
      FileOutput.standardOutput.write(RunOption.helpText)
      FileOutput.standardOutput.flush()
      exit(0)
    }
    if parsed.flags.contains(.version) {
      FileOutput.standardOutput.write("swiftrace-run v\(swiftraceVersion) (runs artefacts of swiftrace --aot)\n")
      FileOutput.standardOutput.flush()
      exit(0)
    }
    let run = SwiftraceRun(parsed, programOptions: programOptions, parameters: parameters)
    if let error = run.validate() { CommandLineWords.exit(1, error: error.text) }
    exit(run.execute(startTime: startTime))
  }

  init(_ parsed: RunArguments, programOptions: [ProgramOptionArgument], parameters: [String]) {
    command = parsed.values[.command]
    format = parsed.values[.format] ?? "text"
    outputFile = parsed.values[.output]
    targetPID = parsed.values[.pid]
    metrics = parsed.values[.metrics]
    buffering = parsed.values[.buffering]
    test = parsed.flags.contains(.test)
    bench = parsed.flags.contains(.bench)
    dryRun = parsed.flags.contains(.dryRun)
    noWarnings = parsed.flags.contains(.noWarnings)
    quiet = parsed.flags.contains(.quiet)
    verbose = parsed.flags.contains(.verbose)
    arguments = parsed.positionals + parameters
    self.programOptions = programOptions
  }

  func validate() -> UsageError? {
    if arguments.isEmpty { return UsageError("no artefact given: swiftrace-run ARTEFACT [ARGS...]") }
    if let buffering, OutputBuffering(rawValue: buffering) == nil {
      return UsageError("unknown buffering mode '\(buffering)'; use line, full or none")
    }
    if let metrics, !Runner.isMetricsEndpoint(metrics) {
      return UsageError("--metrics wants HOST:PORT (like 127.0.0.1:9466 or [::1]:9466), not '\(metrics)'")
    }
    if OutputFormat(rawValue: format) == nil {
      return UsageError("Invalid output format \"\(format)\"\nThe formats are \(OutputFormat.allCases.map(\.rawValue).joined(separator: " and ")).")
    }
    if let targetPID, case .failure(let error) = ProcessIDArgument.parse(targetPID) { return UsageError(error.description) }
    return nil
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
    asked.programOptions = programOptions
    asked.childCommand = command
    if let targetPID, case .success(let pid) = ProcessIDArgument.parse(targetPID) { asked.targetPID = pid }
    asked.format = OutputFormat(rawValue: format) ?? .text
    asked.buffering = buffering.flatMap(OutputBuffering.init(rawValue:))
    asked.quiet = quiet
    asked.verbose = verbose
    asked.showsWarnings = !noWarnings
    let configuration: Configuration
    do { configuration = try asked.forRun(builtWith: artefact.plan.configuration, parameters: artefact.plan.parameters) } catch let failure {
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
}
