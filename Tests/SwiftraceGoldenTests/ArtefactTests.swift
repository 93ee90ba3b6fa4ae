import Foundation
import SwiftraceBasics
import SwiftraceTestSupport
import Testing

/// swiftrace-run, built next to swiftrace.
var swiftraceRunExecutable: String {
  URL(fileURLWithPath: swiftraceExecutable).deletingLastPathComponent().appendingPathComponent("swiftrace-run").path
}

/// `swiftrace --aot FILE SCRIPT` then `swiftrace-run FILE`: the same run as `swiftrace SCRIPT`.
@Suite(.serialized, .needsRoot) struct ArtefactTests {
  /// The options swiftrace-run takes, each with whether a value follows it: the rest of a case's
  /// options are for compiling only.
  static let runOptions: [String: Bool] = [
    "-c": true, "--cmd": true, "-f": true, "-o": true, "--output": true, "-p": true, "--pid": true, "-B": true,
    "--metrics": true, "-q": false, "--quiet": false, "-v": false, "--verbose": false, "--dry-run": false,
    "--test": false, "--bench": false, "--no-warnings": false,
  ]

  static func runArguments(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var i = 0
    while i < arguments.count {
      if let takesValue = runOptions[arguments[i]] {
        result.append(arguments[i])
        if takesValue, i + 1 < arguments.count { result.append(arguments[i + 1]) }
        i += takesValue ? 2 : 1
      } else {
        i += 1
      }
    }
    return result
  }

  func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-artefact-\(name)-\(getpid())").path
  }

  /// Builds an artefact of SCRIPT (with swiftrace's OPTIONS and PARAMS); its path.
  func build(_ name: String, _ script: String, options: [String] = [], params: [String] = [],
             environment: [String: String] = [:]) throws -> String {
    let source = temporaryPath(name) + ".st"
    try Data(script.rawBytes).write(to: URL(fileURLWithPath: source), options: .atomic)
    let artefact = temporaryPath(name) + ".run"
    let built = try runProcess(swiftraceExecutable, options + ["--aot", artefact, source] + params,
                               environment: environment, currentDirectory: Golden.repositoryRoot)
    try #require(built.status == 0, "swiftrace --aot: \(built.stderr)")
    // Warnings, if any, are the compiler's: they go to stderr when compiling.
    #expect(built.stdout.isEmpty, "compiling prints nothing: \(built.stdout)")
    return artefact
  }

  /// Every runtime case, compiled to an artefact and run by swiftrace-run, prints its golden output.
  @Test(arguments: Golden.cases("runtime"))
  func runtimeCaseFromArtefact(_ name: String) throws {
    let script = Fixtures.expand(try #require(Golden.read("runtime", name, "st")))
    let options = caseArguments(script), params = caseArguments(script, "params")
    let environment = caseEnvironment(script)
    let artefact = try build(name, script, options: options, params: params, environment: environment)
    defer { unlink(artefact) }
    let result = try runProcess(swiftraceRunExecutable, Self.runArguments(options) + [artefact] + params,
                                environment: environment, currentDirectory: Golden.repositoryRoot)
    #expect(result.status == 0, "exit \(result.status): \(result.stderr)")
    // `comm` in BEGIN and END is the name of the process that runs them.
    let output = Fixtures.normalize(result.stdout).replacingOccurrences(of: "swiftrace-run", with: "swiftrace")
    if let failure = Golden.compare(output, suite: "runtime", name: name, ext: "stdout") {
      Issue.record("\(failure)\nstderr: \(result.stderr)")
    }
  }

  /// The artefact is a command of its own (`#!/usr/bin/env swiftrace-run`), and takes the run's
  /// options and parameters: -f json, -o, exit codes and positional parameters as swiftrace has them.
  @Test func artefactRunsAsACommandWithRunOptions() throws {
    let script = "BEGIN { printf(\"%s %d\\n\", str($1), $2); @n[$2] = count(); exit($2 - 2); }"
    let artefact = try build("command", script, params: ["hello", "5"])
    defer { unlink(artefact) }
    let runDirectory = URL(fileURLWithPath: swiftraceRunExecutable).deletingLastPathComponent().path
    let path = ["PATH": runDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    let text = try runProcess(artefact, ["hello", "5"], environment: path)
    #expect(text.status == 3, "\(text.stderr)")
    #expect(text.stdout == "Attaching 1 probe...\nhello 5\n\n\n@n[5]: 1\n", "\(text.stdout)")
    let output = temporaryPath("command-json.out")
    defer { unlink(output) }
    let json = try runProcess(artefact, ["-f", "json", "-o", output, "hello", "5"], environment: path)
    #expect(json.status == 3 && json.stdout.isEmpty, "\(json.stderr)")
    let written = try String(contentsOfFile: output, encoding: .utf8)
    #expect(written == """
      {"type": "attached_probes", "data": {"probes": 1}}
      {"type": "printf", "data": "hello 5\\n"}
      {"type": "map", "data": {"@n": {"5": 1}}}

      """, "\(written)")
  }

  /// Positional parameters the program reads as values (`$N`, `str($N)`) are the run's: the
  /// artefact runs with other values, more or fewer of them, as swiftrace compiling would; a value
  /// the program cannot hold (not a number, a longer string) is refused with one line.
  @Test func parametersReadAsValuesTakeTheRunsValues() throws {
    let script = "BEGIN { printf(\"%s|%d|%d\\n\", str($1), $2, $2 * 3); @[str($1), $2] = count(); exit(); }"
    let artefact = try build("values", script, params: ["built", "5"])
    defer { unlink(artefact) }
    for params in [["built", "5"], ["--", "a longer text than before", "-12"], ["0x10"], []] {
      let ran = try runProcess(swiftraceRunExecutable, [artefact] + params)
      let values = params.filter { $0 != "--" }
      let compiled = try runProcess(swiftraceExecutable, ["--no-cache", "-e", script] + params)
      #expect(ran.status == 0 && compiled.status == 0, "\(params): \(ran.stderr) \(compiled.stderr)")
      #expect(ran.stdout == compiled.stdout, "\(params): \(ran.stdout) vs \(compiled.stdout)")
      #expect(ran.stdout.contains("\(values.first ?? "")|"), "\(ran.stdout)")
    }
    let word = try runProcess(swiftraceRunExecutable, [artefact, "x", "many"])
    #expect(word.status == 1 && word.stderr.contains("$2 is \"many\", not a number"), "\(word.stderr)")
    let long = try runProcess(swiftraceRunExecutable, [artefact, String(repeating: "y", count: 100), "1"])
    #expect(long.status == 1 && long.stderr.contains("$1 has 100 bytes; the program holds 63"), "\(long.stderr)")
  }

  /// A USDT probe's site (its file offset, its argument locations) is the build machine's file's:
  /// beside another file at that path the breakpoint could land mid-instruction and crash the
  /// traced program, so the run refuses to attach, naming the file, and nothing is attached.
  @Test func usdtSitesOfAnotherFileAreRefused() throws {
    let target = temporaryPath("usdt-target")
    defer { unlink(target) }
    try FileManager.default.copyItem(atPath: Fixtures.uprobeTarget, toPath: target)
    let artefact = try build("usdt", "usdt:\(target):swiftrace:tick { @ = count(); exit(); }")
    defer { unlink(artefact) }
    let same = try runProcess(swiftraceRunExecutable, ["-c", "\(target) 1", artefact])
    #expect(same.status == 0 && same.stdout.contains("@: 1"), "\(same.stdout) \(same.stderr)")
    unlink(target)
    try FileManager.default.copyItem(atPath: "/bin/true", toPath: target)
    let other = try runProcess(swiftraceRunExecutable, ["-c", "/bin/true", artefact])
    #expect(other.status == 1, "\(other.stdout)")
    #expect(other.stderr.contains("\(target) is not the file the program was compiled against"), "\(other.stderr)")
  }

  /// A tracepoint field is read where the compiling kernel's format had it: on a kernel whose
  /// format places it elsewhere (here a format file with prev_pid moved, bind-mounted in a private
  /// mount namespace), the run refuses, naming the field, instead of printing other bytes.
  @Test func tracepointFieldsThatMovedAreRefused() throws {
    let format = "/sys/kernel/tracing/events/sched/sched_switch/format"
    let text = try String(contentsOfFile: format, encoding: .utf8)
    try #require(text.contains("field:pid_t prev_pid;\toffset:24;"), "this kernel's sched_switch format: \(text)")
    let moved = temporaryPath("moved-format")
    defer { unlink(moved) }
    try Data(text.replacingOccurrences(of: "field:pid_t prev_pid;\toffset:24;", with: "field:pid_t prev_pid;\toffset:28;").utf8)
      .write(to: URL(fileURLWithPath: moved))
    let artefact = try build("tracepoint-field", "tracepoint:sched:sched_switch { printf(\"%d\\n\", args.prev_pid); exit(); }")
    defer { unlink(artefact) }
    let same = try runProcess(swiftraceRunExecutable, ["-q", artefact])
    #expect(same.status == 0 && !same.stdout.isEmpty, "\(same.stderr)")
    let other = try runProcess("/usr/bin/unshare", ["-m", "sh", "-c",
                                                    "mount --bind \(moved) \(format) && exec \(swiftraceRunExecutable) \(artefact)"])
    #expect(other.status == 1 && other.stdout.isEmpty, "\(other.stdout)")
    #expect(other.stderr.contains("the running kernel's tracepoint sched:sched_switch has `pid_t prev_pid` at offset 28 (4 bytes), and the program was compiled with `pid_t prev_pid` at offset 24"), "\(other.stderr)")
  }

  /// What the compiled program holds cannot change at run time: a positional parameter the
  /// compiler used (here in an attach point), another -p, or a BPFTRACE_* variable that changes
  /// code are refused, naming the value.
  @Test func compiledInSettingsAreRefusedWhenTheRunAsksForOthers() throws {
    let artefact = try build("fixed", "interval:ms:$1 { printf(\"%d\\n\", $1); exit(); }", params: ["7"])
    defer { unlink(artefact) }
    let other = try runProcess(swiftraceRunExecutable, [artefact, "8"])
    #expect(other.status == 1)
    #expect(other.stderr.contains("compiled with $1 = '7', which it used when compiling"), "\(other.stderr)")
    let strlen = try runProcess(swiftraceRunExecutable, [artefact, "7"], environment: ["BPFTRACE_MAX_STRLEN": "100"])
    #expect(strlen.status == 1)
    #expect(strlen.stderr.contains("the environment sets max_strlen to 100, but the program was compiled with 64"), "\(strlen.stderr)")
    let same = try runProcess(swiftraceRunExecutable, [artefact, "7"], environment: ["BPFTRACE_CAT_BYTES_MAX": "100"])
    #expect(same.status == 0 && same.stdout.contains("\n7\n"), "\(same.stdout)\(same.stderr)")
  }

  /// A file that is not an artefact, one cut short, and one with a changed byte are refused with
  /// one line each, and nothing is loaded.
  @Test func damagedArtefactsAreRefused() throws {
    let artefact = try build("damaged", "BEGIN { printf(\"fine\\n\"); exit(); }")
    defer { unlink(artefact) }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: artefact))
    let damaged = temporaryPath("damaged-copy")
    defer { unlink(damaged) }
    var cases: [(Data, String)] = [
      (Data("BEGIN { exit(); }\n".utf8), "is not a swiftrace artefact"),
      (bytes.prefix(bytes.count - 10), "is damaged"),
      (bytes.prefix(55), "is damaged"),
    ]
    for offset in [bytes.count / 2, bytes.count - 1, 60] {
      var flipped = bytes
      flipped[offset] ^= 0x20
      cases.append((flipped, "is damaged"))
    }
    for (data, expected) in cases {
      try data.write(to: URL(fileURLWithPath: damaged))
      let run = try runProcess(swiftraceRunExecutable, [damaged])
      #expect(run.status == 1, "\(run.stdout)")
      #expect(run.stderr.contains(expected) && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
      #expect(!run.stdout.contains("fine"))
    }
  }

  /// An artefact runs in a root that holds swiftrace-run, the shared libraries ldd lists for it
  /// and nothing else: no LLVM, no libclang, no clang, no swiftrace (/proc and /sys are mounted in
  /// a mount namespace of the test's own, so nothing stays mounted).
  @Test func runsInARootWithOnlyTheRunnersLibraries() throws {
    let script = """
      tracepoint:syscalls:sys_enter_execve /pid == cpid/ { @calls = count(); }
      BEGIN { printf("from a clean root\\n"); }
      """
    let artefact = try build("clean-root", script, options: ["-c", "/bin/true"])
    defer { unlink(artefact) }
    let root = temporaryPath("root")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let ldd = try runProcess("/usr/bin/ldd", [swiftraceRunExecutable])
    try #require(ldd.status == 0, "\(ldd.stderr)")
    // "libx.so => /path (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    let libraries = ldd.stdout.split(separator: "\n").compactMap { line in
      line.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("/") }
    }
    #expect(libraries.contains { $0.contains("libbpf") } && libraries.contains { $0.contains("ld-linux") })
    for library in libraries + [swiftraceRunExecutable] {
      let name = URL(fileURLWithPath: library).lastPathComponent.lowercased()
      #expect(!name.contains("llvm") && !name.contains("clang"), "\(library) is part of the compiler")
    }
    // The real files (cp -L), at their own paths in the root (--parents).
    let copy = try runProcess("/bin/sh", ["-c", """
      set -e; mkdir -p \(root); cp -L --parents \(libraries.joined(separator: " ")) \(root)/
      mkdir -p \(root)/bin \(root)/proc \(root)/sys \(root)/tmp
      cp -L \(swiftraceRunExecutable) /bin/true \(root)/bin/ && cp \(artefact) \(root)/tool.run
      """])
    try #require(copy.status == 0, "\(copy.stderr)")
    // Without /proc the process has no arguments to read: one line, not a crash (it was one).
    let bare = try runProcess("/usr/sbin/chroot", [root, "/bin/swiftrace-run", "/tool.run"])
    #expect(bare.status == 1 && bare.stderr == "ERROR: cannot read the command line: is /proc mounted?\n", "\(bare.stderr)")
    let inside = "mount -t proc proc \(root)/proc && mount --rbind /sys \(root)/sys && exec chroot \(root) /bin/swiftrace-run -c /bin/true /tool.run"
    let run = try runProcess("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", inside])
    #expect(run.status == 0, "\(run.stderr)")
    // The -c child, released once the probes are attached, runs /bin/true: one execve.
    #expect(run.stdout == "Attaching 2 probes...\nfrom a clean root\n\n\n@calls: 1\n", "\(run.stdout)")
  }
}
