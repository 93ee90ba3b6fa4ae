import Glibc

/// What swiftrace and swiftrace-run do alike with their command lines, before and after
/// argument-parser: the arguments as bytes, getopt's `--`, and usage errors in bpftrace's words.
public enum CommandLineWords {
  /// The arguments after the program's name as they came: one that is not UTF-8 keeps its bytes
  /// (CommandLine.arguments would have replaced them). Nil when there are none to read: Swift
  /// reads them from /proc/self/cmdline, which a bare chroot lacks (an empty range crashed there).
  public static func arguments() -> [String]? {
    guard CommandLine.argc >= 1 else { return nil }
    return (1..<Int(CommandLine.argc)).map { i in
      String(rawBytes: CommandLine.unsafeArgv[i].map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) } ?? .init(start: nil, count: 0))
    }
  }

  /// `--` ends the options: what follows are positional parameters even if they start with `-`
  /// (getopt's rule, which bpftrace follows), and `--name=value` or `--name` there are options of
  /// the program (its getopt()).
  public static func split(_ all: [String]) -> (options: [String], programOptions: [ProgramOptionArgument], parameters: [String]) {
    guard let end = all.firstIndex(of: "--") else { return (all, [], []) }
    let after = all[all.index(after: end)...]
    return (Array(all[..<end]), after.compactMap(ProgramOptionArgument.init(argument:)),
            after.filter { ProgramOptionArgument(argument: $0) == nil })
  }

  /// Before `--`, an argument that looks like an option must be one.
  public static func unknownOption(in arguments: [String]) -> String? {
    arguments.first { $0.hasPrefix("-") && $0 != "-" }.map {
      "Unknown option '\($0)' (use -- before positional parameters that start with '-')"
    }
  }

  /// argument-parser's error text with "ERROR:" and "USAGE:", as bpftrace (and our --help) spell
  /// them: scripts look for the words.
  public static func usageError(_ message: String) -> String {
    var usage = message.replacing("\nUsage: ", with: "\nUSAGE: ")
    if usage.hasPrefix("Error: ") { usage = "ERROR: " + usage.dropFirst("Error: ".count) }
    return usage + "\n"
  }

  /// Writes TEXT to standard error unbuffered and exits with STATUS.
  public static func exit(_ status: Int32, error text: String) -> Never {
    _ = text.withCString { write(2, $0, strlen($0)) }
    Glibc.exit(status)
  }

  public static let noArguments = "ERROR: cannot read the command line: is /proc mounted?\n"
}
