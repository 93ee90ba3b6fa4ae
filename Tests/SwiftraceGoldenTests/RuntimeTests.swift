import Foundation
import SwiftraceBasics
import SwiftraceTestSupport
import Testing

/// Builds the programs that runtime cases trace, once per test run.
enum Fixtures {
  /// Where the test programs are built (not in git); it exists once this is first read.
  static let binDirectory: URL = {
    let directory = Golden.fixtures.appendingPathComponent("bin")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }()

  static let uprobeTarget: String = {
    let output = binDirectory.appendingPathComponent("uprobe_target").path
    let source = Golden.fixtures.appendingPathComponent("uprobe_target.c").path
    // A stale binary from an earlier build must not stand in for a fixture that no longer compiles.
    unlink(output)
    // Frame pointers, so that ustack walks through main into libc.
    let built = try? runProcess("/usr/bin/cc", ["-O1", "-g", "-fno-omit-frame-pointer", "-o", output, source])
    if built?.status != 0 { FileHandle.standardError.write(Data("uprobe_target.c does not compile:\n\(built?.stderr ?? "")".utf8)) }
    return output
  }()

  /// uprobe_target's GNU build id (its debug info holds the checkout's path, so it differs from
  /// one clone to another): runtime output shows it as `{{uprobe_target_build_id}}`.
  static let uprobeTargetBuildID: String? = {
    guard let notes = try? runProcess("/usr/bin/readelf", ["-n", uprobeTarget]),
      let line = notes.stdout.split(separator: "\n").first(where: { $0.contains("Build ID:") }) else { return nil }
    return line.split(separator: " ").last.map(String.init)
  }()

  /// Output with what differs between runs, machines and clones written as placeholders: the
  /// fixture's build id, the checkout's path (source paths from DWARF), a test probe's run time.
  static func normalize(_ output: String) -> String {
    var output = output
    if let id = uprobeTargetBuildID, output.contains(id) {
      output = output.replacingOccurrences(of: id, with: "{{uprobe_target_build_id}}")
    }
    let root = Golden.repositoryRoot.path
    if output.contains(root + "/") { output = output.replacingOccurrences(of: root + "/", with: "{{repository}}/") }
    // A test's run time (`[       OK ] name (752 ns)`).
    output = output.replacing(#/(\[ +(OK|FAILED) +\] .*) \(\d+ (ns|μs|ms|s)\)\n/#) { "\($0.output.1) ({{time}})\n" }
    return output
  }

  /// The C++ program of `Tests/Fixtures/cpp_target.cc`: functions with demangled names.
  static let cppTarget: String = {
    let output = binDirectory.appendingPathComponent("cpp_target").path
    let source = Golden.fixtures.appendingPathComponent("cpp_target.cc").path
    unlink(output)
    let built = try? runProcess("/usr/bin/g++", ["-O1", "-g", "-o", output, source])
    if built?.status != 0 { FileHandle.standardError.write(Data("cpp_target.cc does not compile:\n\(built?.stderr ?? "")".utf8)) }
    return output
  }()

  /// Replaces `{{uprobe_target}}` and `{{cpp_target}}` in case files.
  static func expand(_ s: String) -> String {
    var s = s
    if s.contains("{{uprobe_target}}") { s = s.replacingOccurrences(of: "{{uprobe_target}}", with: uprobeTarget) }
    if s.contains("{{cpp_target}}") { s = s.replacingOccurrences(of: "{{cpp_target}}", with: cppTarget) }
    return s
  }
}

/// Splits `// args: -c "cmd x" -q` the way a shell would for simple quoting.
func splitArguments(_ s: String) -> [String] {
  var args: [String] = [], current = "", quoted = false, any = false
  for ch in s {
    if ch == "\"" { quoted.toggle(); any = true } else if ch == " " && !quoted {
      if any || !current.isEmpty { args.append(current) }
      current = ""; any = false
    } else { current.append(ch) }
  }
  if any || !current.isEmpty { args.append(current) }
  return args
}

/// Reads `// args: ...` (options before the script) or `// params: ...` (after it) from a case.
func caseArguments(_ script: String, _ directive: String = "args") -> [String] {
  let prefix = "// \(directive):"
  guard let line = script.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
  return splitArguments(Fixtures.expand(String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)))
}

/// `// env: NAME=VALUE ...`: variables a case runs with (BPFTRACE_STRLEN and the like).
func caseEnvironment(_ script: String) -> [String: String] {
  Dictionary(caseArguments(script, "env").compactMap { pair -> (String, String)? in
    guard let eq = pair.firstIndex(of: "=") else { return nil }
    return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
  }, uniquingKeysWith: { $1 })
}

/// `Tests/Golden/runtime/*.st`: runs swiftrace for real and compares stdout with `.stdout`.
@Suite(.serialized, .needsRoot) struct RuntimeGoldenTests {
  @Test(arguments: Golden.cases("runtime"))
  func run(_ name: String) throws {
    guard isRoot else { try Test.cancel("runtime tests load BPF programs and need root") }
    let script = Fixtures.expand(try #require(Golden.read("runtime", name, "st")))
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).st")
    try Data(script.rawBytes).write(to: file, options: .atomic)
    let result = try runProcess(swiftraceExecutable, caseArguments(script) + [file.path] + caseArguments(script, "params"),
                                environment: caseEnvironment(script), currentDirectory: Golden.repositoryRoot)
    #expect(result.status == 0, "exit \(result.status): \(result.stderr)")
    if let failure = Golden.compare(Fixtures.normalize(result.stdout), suite: "runtime", name: name, ext: "stdout") {
      Issue.record("\(failure)\nstderr: \(result.stderr)")
    }
  }

  /// This kernel may lack kprobes: the program must still pass the verifier, and attaching must fail
  /// with one clear line and exit 1. That is reported as a skip, never as a pass.
  @Test func kprobeCompilesAndExplainsMissingSupport() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = "kprobe:do_sys_open < @[comm]=count() >"
    let dry = try runProcess(swiftraceExecutable, ["--dry-run", "-e", program])
    #expect(dry.status == 0, "the verifier must accept the kprobe program: \(dry.stderr)")
    if FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe") {
      let run = try runProcess("/usr/bin/timeout", ["-s", "INT", "1", swiftraceExecutable, "-e", program])
      #expect(run.status == 0, "\(run.stderr)")
      return
    }
    let run = try runProcess(swiftraceExecutable, ["-e", program])
    #expect(run.status == 1)
    #expect(run.stderr.contains("cannot attach kprobe:do_sys_open: this kernel has no kprobe support"))
    try Test.cancel("kprobes are not supported by this kernel (CONFIG_KPROBES unset); verified and reported cleanly")
  }

  /// kfunc/kretfunc (fentry/fexit): typed from BTF; this kernel refuses to load them (EPERM).
  @Test func kfuncTypesFromBTFAndLoadsOrExplains() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = "kfunc:vfs_read { @bytes = sum(args->count); } kretfunc:vfs_read { @ret = hist(retval); }"
    let types = try runProcess(swiftraceExecutable, ["--dump=types", "-e", program])
    #expect(types.status == 0, "\(types.stderr)")
    #expect(types.stdout.contains("@ret[] -> hist"), "\(types.stdout)")
    let dry = try runProcess(swiftraceExecutable, ["--dry-run", "-e", program])
    if dry.status == 0 { return }
    #expect(dry.status == 1)
    #expect(dry.stderr.contains("kfunc:vfs_read: this kernel refuses to load kfunc/kretfunc (fentry/fexit) programs"), "\(dry.stderr)")
    try Test.cancel("this kernel refuses fentry/fexit programs (EPERM); compiled and reported cleanly")
  }

  /// fentry:bpf:[ID:]FUNCTION: functions of running BPF programs, found by their BTF (here
  /// another swiftrace's probe), listed with -l, probed by id or by name; this kernel refuses
  /// fentry programs (EPERM), which is reported as a skip.
  @Test func bpfProgramFunctionsAreListedAndProbedOrExplained() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let traced = Process()
    traced.executableURL = URL(fileURLWithPath: swiftraceExecutable)
    traced.arguments = ["-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"]
    traced.standardOutput = FileHandle.nullDevice
    try traced.run()
    defer { traced.terminate(); traced.waitUntilExit() }
    let function = "p0_tracepoint_syscalls_sys_enter_getppid"
    var line: Substring?
    for _ in 0..<50 where line == nil {  // until it has loaded its program
      usleep(100_000)
      line = try runProcess(swiftraceExecutable, ["-l", "fentry:bpf:*:\(function)"]).stdout.split(separator: "\n").first
    }
    let listed = try #require(line, "the running program's function is listed")
    let parts = listed.split(separator: ":")
    #expect(parts.count == 4 && parts[0] == "kfunc" && parts[1] == "bpf" && UInt32(parts[2]) != nil && parts[3] == function, "\(listed)")
    let program = "fentry:bpf:\(parts[2]):\(function) { @[probe] = count(); } fexit:bpf:\(function) { @ret = retval; }"
    let types = try runProcess(swiftraceExecutable, ["--dump=types", "-e", program])
    #expect(types.status == 0 && types.stdout.contains(": kfunc:bpf:\(parts[2]):\(function)\n"), "\(types.stdout) \(types.stderr)")
    let missing = try runProcess(swiftraceExecutable, ["--dry-run", "-e", "fentry:bpf:no_such_function_here { }"])
    #expect(missing.status == 1 && missing.stderr.contains("no running BPF program has a function matching"), "\(missing.stderr)")
    let dry = try runProcess(swiftraceExecutable, ["--dry-run", "-e", program])
    if dry.status == 0 { return }
    #expect(dry.status == 1 && dry.stderr.contains("this kernel refuses to load kfunc/kretfunc (fentry/fexit) programs"), "\(dry.stderr)")
    try Test.cancel("this kernel refuses fentry/fexit programs (EPERM); found, compiled and reported cleanly")
  }

  @Test func hardwareEventsRunOrExplainMissingCounters() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = "hardware:cycles:100000 { @[comm] = count(); } interval:ms:200 { exit(); }"
    let dry = try runProcess(swiftraceExecutable, ["--dry-run", "-e", program])
    #expect(dry.status == 0, "the verifier must accept the program: \(dry.stderr)")
    let run = try runProcess(swiftraceExecutable, ["-e", program])
    if run.status == 0 { return }
    #expect(run.status == 1)
    #expect(run.stderr.contains("cannot attach hardware:cpu-cycles:100000: this machine has no hardware performance counters"),
            "\(run.stderr)")
    try Test.cancel("no hardware performance counters here; verified and reported cleanly")
  }

  /// SIGINT once attached (told by the "Attaching" line, not by a guess at how long that takes on
  /// a busy machine): END runs, the maps print, the status is 0.
  @Test func sigintRunsEndAndPrintsMaps() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let trace = Process()
    trace.executableURL = URL(fileURLWithPath: swiftraceExecutable)
    trace.arguments = ["-B", "line", "-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); } END { printf(\"end ran\\n\"); }"]
    let output = Pipe()
    trace.standardOutput = output
    try trace.run()
    var text = Data()
    while !(String(decoding: text, as: UTF8.self).contains("Attaching")) {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += chunk
    }
    usleep(200_000)  // attached by now; then events for @ to count
    for _ in 0..<10 { _ = getppid() }
    kill(trace.processIdentifier, SIGINT)
    text += output.fileHandleForReading.readDataToEndOfFile()
    trace.waitUntilExit()
    #expect(trace.terminationStatus == 0)
    #expect(String(decoding: text, as: UTF8.self).hasPrefix("Attaching 2 probes...\nend ran\n\n\n@: "), "\(String(decoding: text, as: UTF8.self))")
  }

  /// SIGUSR1 runs the self:signal:SIGUSR1 probes (bpftrace 0.22 and later) instead of printing
  /// the maps (0.17's SIGUSR1, kept for programs without one).
  @Test func selfSignalProbesRunOnSIGUSR1() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = #"self:signal:SIGUSR1 { @hits++; printf("signal %d\n", @hits); } interval:s:2 { exit(); }"#
    let script = "\"$0\" -e '\(program)' & pid=$!; sleep 1; kill -USR1 $pid; sleep 0.2; kill -USR1 $pid; wait $pid"
    let result = try runProcess("/bin/sh", ["-c", script, swiftraceExecutable])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "Attaching 2 probes...\nsignal 1\nsignal 2\n\n\n@hits: 2\n", "\(result.stdout)")
  }

  @Test func syntaxErrorExitsOneWithLocation() throws {
    let result = try runProcess(swiftraceExecutable, ["-e", "BEGIN { @x = ; }"])
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("<command-line>:1:14: ERROR: expected an expression, found ';'"))
  }
}

/// `Tests/Golden/differential/*.st`: bpftrace 0.17 and swiftrace must print the same stdout, as text
/// and as JSON (where 0.17's two stray blank lines are the one deliberate difference).
@Suite(.serialized, .needsRoot) struct DifferentialTests {
  static let bpftrace = ["/usr/bin/bpftrace", "/usr/sbin/bpftrace"].first { FileManager.default.isExecutableFile(atPath: $0) }

  @Test(arguments: Golden.cases("differential"), ["text", "json"])
  func sameOutputAsBpftrace(_ name: String, _ format: String) throws {
    guard isRoot else { try Test.cancel("needs root") }
    guard let bpftrace = Self.bpftrace else { try Test.cancel("bpftrace is not installed (apt-get install bpftrace)") }
    let script = Fixtures.expand(try #require(Golden.read("differential", name, "st")))
    // `// formats: json`: a case whose text output differs by design (Compatibility.md says how).
    let formats = caseArguments(script, "formats")
    if !formats.isEmpty && !formats.contains(format) { try Test.cancel("\(name) is compared as \(formats.joined(separator: ", ")) only") }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(name).bt")
    try Data(script.rawBytes).write(to: file, options: .atomic)
    let args = ["-f", format] + caseArguments(script) + [file.path]
    let environment = caseEnvironment(script)
    var theirs = try runProcess(bpftrace, args, environment: environment, currentDirectory: Golden.repositoryRoot)
    // bpftrace's own start-up failure under load (InstalledToolsTests.runsLikeBpftrace says why): asked again.
    for _ in 0..<4 where theirs.status != 0 && theirs.stderr.contains("couldn't set RLIMIT_MEMLOCK") {
      sleep(3)  // the load that made its probe fail passes
      theirs = try runProcess(bpftrace, args, environment: environment, currentDirectory: Golden.repositoryRoot)
    }
    let ours = try runProcess(swiftraceExecutable, args, environment: environment, currentDirectory: Golden.repositoryRoot)
    if format == "json" { theirs.stdout = theirs.stdout.split(separator: "\n").map { $0 + "\n" }.joined() }
    #expect(theirs.status == 0, "bpftrace failed: \(theirs.stderr)")
    #expect(ours.status == 0, "swiftrace failed: \(ours.stderr)")
    if ours.stdout != theirs.stdout {
      let difference: String = Golden.diff(theirs.stdout, ours.stdout)
      Issue.record("output differs from bpftrace 0.17 (- bpftrace, + swiftrace):\n\(difference)")
    }
  }
}

/// Every example compiles, and passes the kernel's verifier.
@Suite(.needsRoot) struct ExampleTests {
  static let examples: [String] = {
    let dir = Golden.repositoryRoot.appendingPathComponent("examples")
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".st") }.sorted()
  }()

  @Test(arguments: examples)
  func exampleLoads(_ name: String) throws {
    guard isRoot else { try Test.cancel("loading into the kernel needs root") }
    let path = Golden.repositoryRoot.appendingPathComponent("examples/\(name)").path
    let result = try runProcess(swiftraceExecutable, ["--dry-run", path, "1"], currentDirectory: Golden.repositoryRoot)
    #expect(result.status == 0, "\(name): \(result.stderr)")
  }
}

/// override() needs CONFIG_BPF_KPROBE_OVERRIDE (and kprobes): compiled, then one clear line here.
@Suite(.needsRoot) struct OverrideTests {
  @Test func overrideCompilesAndExplains() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = "kprobe:__x64_sys_getppid { override(-1); }"
    let refused = try runProcess(swiftraceExecutable, ["--dry-run", "-e", program])
    #expect(refused.status == 1 && refused.stderr.contains("refused without --unsafe"), "\(refused.stderr)")
    let dry = try runProcess(swiftraceExecutable, ["--unsafe", "--dry-run", "-e", program])
    if dry.status == 0 { return }
    #expect(dry.stderr.contains("override() needs a kernel built with CONFIG_BPF_KPROBE_OVERRIDE"), "\(dry.stderr)")
    try Test.cancel("this kernel lacks CONFIG_BPF_KPROBE_OVERRIDE; compiled and reported cleanly")
  }
}

/// tseries (bpftrace 0.24 and later) for real: intervals of the TAI clock, per-CPU slots reduced as
/// bpftrace reduces them, the graph and JSON. Times differ from run to run, so the test reads the
/// output's shape and values rather than a golden file.
@Suite(.needsRoot) struct TimeSeriesTests {
  @Test func recordsIntervalsAndPrintsThem() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = """
      BEGIN { @n = 0; }
      interval:ms:50 { @n++; @last = tseries(@n, 10s, 3); @sum = tseries(2, 10s, 3, "sum"); @k[1] = tseries(5, 1h, 2, "max"); }
      interval:ms:260 { exit(); }
      """
    let text = try runProcess(swiftraceExecutable, ["-e", program])
    #expect(text.status == 0, "\(text.stderr)")
    // Every event falls in one or two 10-second intervals: the last value, and the sum of 2s.
    let rows = text.stdout.split(separator: "\n").filter { $0.contains(":") && ($0.contains("|") || $0.contains("*")) && $0.first!.isNumber }
    #expect(!rows.isEmpty && rows.allSatisfy { $0.hasSuffix(" -") || $0.last!.isNumber }, "\(text.stdout)")
    // One interval has no interval to measure: its time shows nanoseconds (as bpftrace's does).
    #expect(text.stdout.contains("@last:\n") && (text.stdout.contains("hh:mm:ss.ns        |___") || text.stdout.contains("hh:mm:ss  |___")),
            "\(text.stdout)")
    #expect(text.stdout.contains("@k[1]:\n") && text.stdout.contains("                   4                                                   6\n"),
            "\(text.stdout)")
    let sums = rows.filter { _ in true }.compactMap { Int($0.split(separator: " ").last!) }
    #expect(sums.contains { $0 >= 2 && $0 % 2 == 0 }, "\(text.stdout)")
    let json = try runProcess(swiftraceExecutable, ["-f", "json", "-e", program])
    #expect(json.status == 0, "\(json.stderr)")
    #expect(json.stdout.contains("{\"type\": \"tseries\", \"data\": {\"@k\": {\"1\": [{\"interval_start\":\""), "\(json.stdout)")
    #expect(json.stdout.contains(",\"value\":5}]}}}"), "\(json.stdout)")
  }
}

/// write_user() needs --unsafe, then bpf_probe_write_user, which a locked-down kernel withholds
/// (this one is: lockdown=integrity): it writes the traced process's memory, or one clear line says
/// why it cannot, reported as a skip.
@Suite(.needsRoot) struct WriteUserTests {
  @Test func writesTheProcessesMemoryOrExplains() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = """
      uprobe:\(Fixtures.uprobeTarget):greet /pid == cpid/ {
        @p = arg0; $n = 2;
        printf("%d %d %d\\n", write_user(arg0, "HI", 2), write_user(arg0 + 2, 0x2d2d, $n), write_user(0, 1, 1));
      }
      uretprobe:\(Fixtures.uprobeTarget):greet /pid == cpid/ { printf("%r\\n", buf(@p, 6)); }
      """
    let arguments = ["-c", "\(Fixtures.uprobeTarget) 1", "-e", program]
    let refused = try runProcess(swiftraceExecutable, ["--dry-run"] + arguments)
    #expect(refused.status == 1 && refused.stderr.contains("write_user() writes the traced program's memory and is refused without --unsafe"),
            "\(refused.stderr)")
    let run = try runProcess(swiftraceExecutable, ["--unsafe"] + arguments)
    if run.status == 0 {
      #expect(run.stdout.contains("1 1 0\nHI--th\n"), "\(run.stdout)")
      return
    }
    #expect(run.status == 1)
    #expect(run.stderr.contains("write_user() needs bpf_probe_write_user, which this kernel refuses"), "\(run.stderr)")
    try Test.cancel("this kernel withholds bpf_probe_write_user (lockdown); compiled and reported cleanly")
  }
}

/// percpu_kaddr() declares the kernel variable as an extern libbpf resolves by BTF; the verifier
/// then needs its address from kallsyms, which lists variables only with CONFIG_KALLSYMS_ALL (not
/// this kernel): the addresses are read, or the verifier's refusal says why, reported as a skip.
@Suite(.needsRoot) struct PerCPUAddressTests {
  @Test func readsPerCPUVariablesOrExplains() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let program = """
      interval:ms:10 {
        $rq = (struct rq *)percpu_kaddr("runqueues", 0);
        $past = percpu_kaddr("runqueues", 100000);
        printf("%d %d %d\\n", *percpu_kaddr("process_counts") > 0, $rq != 0, $past == 0);
        exit();
      }
      """
    let run = try runProcess(swiftraceExecutable, ["-e", program])
    if run.status == 0 {
      #expect(run.stdout.contains("1 1 1\n"), "\(run.stdout)")
      return
    }
    #expect(run.status == 1)
    // Refused by the verifier, not by libbpf: the object's extern matched the kernel's BTF.
    #expect(run.stderr.contains("verifier rejected probe 'interval:ms:10': ldimm64 failed to find the address for kernel symbol 'runqueues'")
              && run.stderr.contains("CONFIG_KALLSYMS_ALL"), "\(run.stderr)")
    try Test.cancel("this kernel's kallsyms lists no variables (CONFIG_KALLSYMS_ALL unset); compiled and reported cleanly")
  }
}

/// A ring buffer too small for the event rate: every event is either printed or counted as lost.
@Suite(.needsRoot) struct LostEventTests {
  @Test func everyEventIsPrintedOrCounted() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let calls = 200_000
    let result = try runProcess(swiftraceExecutable, [
      "-c", "\(Fixtures.uprobeTarget) \(calls)", "-e",
      "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf(\"%d %d %d %d\\n\", 1, 2, 3, 4); @n = count(); }",
    ], environment: ["BPFTRACE_PERF_RB_PAGES": "1"], timeout: 120)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    let printed = lines.filter { $0 == "1 2 3 4" }.count
    let lost = lines.filter { $0.hasPrefix("Lost ") }.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +)
    #expect(lines.contains("@n: \(calls)"))
    #expect(lost > 0, "a one-page ring buffer should overflow")
    #expect(printed + lost == calls)
    #expect(result.stderr.contains("\(lost) events were lost"))
  }
}

/// Watchpoints on a global of the test program, built without PIE so its address is fixed.
@Suite(.needsRoot) struct WatchpointTests {
  @Test func writesAreCountedLikeBpftrace() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let binary = Fixtures.binDirectory.appendingPathComponent("watch_target").path
    let source = Golden.fixtures.appendingPathComponent("uprobe_target.c").path
    let built = try runProcess("/usr/bin/cc", ["-O1", "-g", "-no-pie", "-o", binary, source])
    try #require(built.status == 0, "\(built.stderr)")
    let symbols = try runProcess("/usr/bin/nm", [binary])
    let line = try #require(symbols.stdout.split(separator: "\n").first { $0.hasSuffix(" swiftrace_watched") })
    let address = "0x" + line.split(separator: " ")[0]
    let program = "watchpoint:\(address):8:w { @writes = count(); }"
    let ours = try runProcess(swiftraceExecutable, ["-c", "\(binary) 5", "-e", program])
    if ours.status != 0, ours.stderr.contains("no hardware breakpoints") {
      try Test.cancel("no hardware breakpoints on this machine; reported cleanly")
    }
    #expect(ours.status == 0, "\(ours.stderr)")
    #expect(ours.stdout.contains("@writes: "))
    let refused = try runProcess(swiftraceExecutable, ["-e", program])
    #expect(refused.status == 1 && refused.stderr.contains("run with -p PID or -c COMMAND"))
    guard let bpftrace = DifferentialTests.bpftrace else { return }
    let theirs = try runProcess(bpftrace, ["-c", "\(binary) 5", "-e", program])
    #expect(ours.stdout == theirs.stdout)
  }
}

/// -k reports failed map updates and deletes at their expression; -kk also failed reads and reads of
/// missing keys; JSON has bpftrace's record.
@Suite(.needsRoot) struct HelperErrorTests {
  @Test func failuresAreReportedAtTheirLine() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let full = try runProcess(swiftraceExecutable, ["-k", "-e", "BEGIN { @[1] = 1;\n  @[2] = 2; exit(); }"],
                              environment: ["BPFTRACE_MAP_KEYS_MAX": "1"])
    #expect(full.status == 0)
    #expect(full.stderr.contains("<command-line>:2:3: WARNING: Failed to map_update_elem: Argument list too long (-7)"),
            "\(full.stderr)")
    let delete = try runProcess(swiftraceExecutable, ["-k", "-e", "BEGIN { $x = str(0); delete(@m[1]); @m[2] = 1; exit(); }"])
    #expect(delete.stderr.hasPrefix("<command-line>:1:22: WARNING: Failed to map_delete_elem: No such file or directory (-2)\n"),
            "reads are -kk's; a delete of a missing key is reported: \(delete.stderr)")
    let json = try runProcess(swiftraceExecutable, ["-kk", "-f", "json", "-e", "BEGIN { $x = str(0); exit(); }"])
    // BEGIN runs in no traced context: an address there is read with bpf_probe_read_str, which
    // picks kernel or user memory by the address, as in bpftrace.
    #expect(json.stdout.contains("{\"type\": \"helper_error\", \"helper\": \"probe_read_str\", \"retcode\": -14"), "\(json.stdout)")
    #expect(json.stdout.contains(", \"line\": 1, \"col\": 14}"))
    let missingKey = try runProcess(swiftraceExecutable, ["-kk", "-e", "BEGIN { @m[1] = 1; printf(\"%d\\n\", @m[2]); exit(); }"])
    #expect(missingKey.stderr.hasPrefix("<command-line>:1:35: WARNING: Failed to map_lookup_elem: 0\n"), "\(missingKey.stderr)")
  }
}
