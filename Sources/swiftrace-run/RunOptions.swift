import SwiftraceBasics

/// swiftrace-run's options, read with getopt's rules by hand: argument-parser reflects over the
/// command (Mirror) and checks every option's conformances at start-up, which cost about 1.5 ms of
/// a run that should start in a few, and it pulls in FoundationEssentials. The table is the one
/// place an option is declared: the parser and --help read it.
struct RunOption {
  enum Name: Hashable {
    case command, format, output, pid, metrics, buffering, version, test, bench, dryRun, noWarnings, quiet, verbose, help
  }

  let name: Name
  let short: Character?
  let long: String?
  /// What the value is called in --help; nil for a flag.
  let value: String?
  let help: String

  static let all: [RunOption] = [
    RunOption(name: .command, short: "c", long: "cmd", value: "COMMAND", help: "Run COMMAND, trace until it exits; 'cpid' is its pid."),
    RunOption(name: .format, short: "f", long: nil, value: "FORMAT", help: "Output format: text or json. (default: text)"),
    RunOption(name: .output, short: "o", long: "output", value: "FILE", help: "Write the trace's output to FILE instead of stdout."),
    RunOption(name: .pid, short: "p", long: "pid", value: "PID",
              help: "Trace process PID only; it must be the one the artefact was compiled for (-p is part of the program)."),
    RunOption(name: .metrics, short: nil, long: "metrics", value: "HOST:PORT",
              help: "Serve the maps' live values as OpenMetrics at http://HOST:PORT/metrics while tracing."),
    RunOption(name: .buffering, short: "B", long: nil, value: "MODE", help: "Output buffering: line, full, or none."),
    RunOption(name: .version, short: "V", long: "version", value: nil, help: "Print the version and exit."),
    RunOption(name: .test, short: nil, long: "test", value: nil, help: "Run the program's test probes instead of tracing."),
    RunOption(name: .bench, short: nil, long: "bench", value: nil, help: "Time the program's bench probes instead of tracing."),
    RunOption(name: .dryRun, short: nil, long: "dry-run", value: nil,
              help: "Load into the kernel (verifier included), but do not attach."),
    RunOption(name: .noWarnings, short: nil, long: "no-warnings", value: nil, help: "Do not print warnings."),
    RunOption(name: .quiet, short: "q", long: "quiet", value: nil, help: "Do not print the 'Attaching N probes...' line."),
    RunOption(name: .verbose, short: "v", long: "verbose", value: nil,
              help: "Verbose: show libbpf's messages and whole verifier logs."),
    RunOption(name: .help, short: "h", long: "help", value: nil, help: "Show help information."),
  ]

  var spelling: String {
    [short.map { "-\($0)" }, long.map { "--\($0)" }].compactMap { $0 }.joined(separator: ", ")
  }

  static let usage = """
    USAGE: swiftrace-run [options] ARTEFACT [ARGS...]
           ARTEFACT [options] [ARGS...]
    """

  static var helpText: String {
    let rows = all.map { option in (option.spelling + (option.value.map { " <\($0)>" } ?? ""), option.help) }
    let width = rows.map(\.0.count).max()! + 2
    let options = rows.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count) + $0.1 }
    return """
      OVERVIEW: Runs a tracing program compiled ahead of time by swiftrace --aot, without a compiler.

      The artefact keeps the settings it was compiled with; BPFTRACE_* variables that only change how
      the run prints (BPFTRACE_MAX_CAT_BYTES, BPFTRACE_CPP_DEMANGLE, ...) apply here, and one that
      would change the compiled program is refused with the value it was compiled with.

      \(usage)

      ARGUMENTS:
        ARTEFACT [ARGS...]    The artefact, then its positional parameters $1, $2, ...

      OPTIONS:
      \(options.joined(separator: "\n"))

      """
  }
}

/// What the command line asked: option values by name, and the artefact and its parameters.
struct RunArguments {
  var values: [RunOption.Name: String] = [:]
  var flags: Set<RunOption.Name> = []
  var positionals: [String] = []

  /// getopt_long's rules before `--`: `-c CMD`, `-cCMD`, `--cmd CMD`, `--cmd=CMD`, flags grouped
  /// (`-qv`), options before or after the artefact; a usage error's text otherwise.
  static func parse(_ words: [String]) -> Result<RunArguments, UsageError> {
    var result = RunArguments()
    var i = 0
    func value(for option: RunOption, inline: String?) -> Result<String, UsageError> {
      if let inline { return .success(inline) }
      i += 1
      guard i < words.count else { return .failure(UsageError("Missing value for '\(option.spelling)'")) }
      return .success(words[i])
    }
    func take(_ option: RunOption, inline: String?) -> UsageError? {
      guard option.value != nil else {
        if inline != nil { return UsageError("'--\(option.long ?? "")' takes no value") }
        result.flags.insert(option.name)
        return nil
      }
      switch value(for: option, inline: inline) {
      case .success(let v): result.values[option.name] = v
      case .failure(let error): return error
      }
      return nil
    }
    while i < words.count {
      let word = words[i]
      if word.hasPrefix("--") {
        let body = word.dropFirst(2)
        let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
        let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
        guard let option = RunOption.all.first(where: { $0.long == name }) else {
          return .failure(UsageError(CommandLineWords.unknownOption(in: [word])!))
        }
        if let error = take(option, inline: inline) { return .failure(error) }
      } else if word.hasPrefix("-") && word != "-" {
        var rest = Substring(word.dropFirst())
        while let letter = rest.first {
          rest = rest.dropFirst()
          guard let option = RunOption.all.first(where: { $0.short == letter }) else {
            return .failure(UsageError(CommandLineWords.unknownOption(in: ["-\(letter)"])!))
          }
          if option.value != nil {
            if let error = take(option, inline: rest.isEmpty ? nil : String(rest)) { return .failure(error) }
            break
          }
          _ = take(option, inline: nil)
        }
      } else {
        result.positionals.append(word)
      }
      i += 1
    }
    return .success(result)
  }
}

struct UsageError: Error {
  let message: String
  init(_ message: String) { self.message = message }

  /// The text for standard error, in bpftrace's words (scripts look for ERROR: and USAGE:).
  var text: String { "ERROR: \(message)\n\(RunOption.usage)\n  See 'swiftrace-run --help' for more information.\n" }
}
