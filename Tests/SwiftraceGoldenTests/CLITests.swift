import Foundation
import SwiftraceTestSupport
import Testing

/// The command line as a user meets it: exit codes, messages, and every dump stage.
@Suite struct CLITests {
  func run(_ args: [String]) throws -> ProcessResult { try runProcess(swiftraceExecutable, args) }

  @Test func usageErrorsExitOne() throws {
    let none = try run([])
    #expect(none.status == 1)
    #expect(none.stderr.contains("no program given"))
    let badDump = try run(["--dump=nope", "-e", "BEGIN {}"])
    #expect(badDump.status == 1)
    #expect(badDump.stderr.contains("unknown --dump stage 'nope'"))
    let badFormat = try run(["-f", "xml", "-e", "BEGIN {}"])
    #expect(badFormat.status == 1)
    #expect(badFormat.stderr.hasPrefix("ERROR: Invalid output format \"xml\"\n"), "\(badFormat.stderr)")
    // -p takes a decimal pid within the kernel's limit, in bpftrace's words.
    for (pid, words) in [("12a", "pid '12a' is not a valid decimal number"), ("0", "pid '0' out of valid pid range [1,4194304]")] {
      let bad = try run(["-p", pid, "-e", "BEGIN {}"])
      #expect(bad.status == 1 && bad.stderr.hasPrefix("ERROR: \(words)\n"), "\(bad.stderr)")
    }
    // An unknown option is a usage error wherever it stands, never a positional parameter.
    let unknown = try run(["-e", "BEGIN { exit(); }", "a", "--zzz"])
    #expect(unknown.status == 1 && unknown.stderr.contains("Unknown option '--zzz'") && unknown.stderr.contains("USAGE: "),
            "\(unknown.stderr)")
  }

  /// A BPFTRACE_* variable that does not parse is an error naming it, never a silent default.
  @Test func invalidEnvironmentIsAnError() throws {
    for (variable, value, words) in [("BPFTRACE_MAP_KEYS_MAX", "abc", "must be a number from 1 to"),
                                     ("BPFTRACE_STRLEN", "100000", "must be a number from 1 to 65536"),
                                     ("BPFTRACE_NO_CPP_DEMANGLE", "yes", "must be 0 or 1"),
                                     ("BPFTRACE_BTF", "/no/such/file", "cannot be read")] {
      let r = try runProcess(swiftraceExecutable, ["--dry-run", "-e", "BEGIN { }"], environment: [variable: value])
      #expect(r.status == 1 && r.stderr.hasPrefix("ERROR: \(variable) ") && r.stderr.contains(words), "\(r.stderr)")
    }
  }

  /// bpftrace's --usdt-file-activation is accepted (semaphores are always raised by the kernel).
  @Test(.needsRoot) func usdtFileActivationIsAccepted() throws {
    let r = try run(["--usdt-file-activation", "--dry-run", "-e", "usdt:\(Fixtures.uprobeTarget):swiftrace:guarded { }"])
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// `--` ends the options and is not a parameter; what follows it is, even `-x`.
  @Test(.needsRoot) func doubleDashEndsTheOptions() throws {
    let r = try run(["-q", "-e", #"BEGIN { printf("%d %s %d\n", $#, str($1), $3); exit(); }"#, "--", "a", "b", "-7"])
    #expect(r.status == 0 && r.stdout.hasPrefix("3 a -7\n"), "\(r.stdout) \(r.stderr)")
  }

  /// After `--`, `--name=value` and `--flag` are the program's options (getopt()), the rest its
  /// positional parameters; an option the program does not read is an error naming those it does.
  @Test(.needsRoot) func programOptionsFollowTheDoubleDash() throws {
    let program = #"BEGIN { printf("%d %d %s\n", getopt("n", 1), getopt("v"), str($1)); exit(); }"#
    let r = try run(["-q", "-e", program, "--", "--n=5", "p1", "--v"])
    #expect(r.status == 0 && r.stdout.hasPrefix("5 1 p1\n"), "\(r.stdout) \(r.stderr)")
    let unknown = try run(["-q", "-e", program, "--", "--m=5"])
    #expect(unknown.status == 1 && unknown.stderr.contains("unknown program option --m: it reads --n (default 1), --v (default false)"),
            "\(unknown.stderr)")
  }

  /// errorf() and warnf() print on stderr, located at the call; a failed assert() (a macro of the
  /// prelude) prints its message there and exits 1.
  @Test(.needsRoot) func errorfWarnfAndAssertReportOnStderr() throws {
    let r = try run(["-q", "-e", #"BEGIN { printf("out\n"); warnf("w %d", 1); errorf("e %s", "x"); assert(1 == 1, "fine"); assert(0, "broken"); }"#])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("out\n"))
    for expected in ["<command-line>:1:26: WARNING: w 1", "<command-line>:1:44: ERROR: e x", "<command-line>:1:89: ERROR: assert failed: broken"] {
      #expect(r.stderr.contains(expected), "\(r.stderr)")
    }
    #expect(!r.stderr.contains("assert failed: fine"))
  }

  /// Newer bpftrace's long spellings of the options, and --probe-filter (a regular expression
  /// searched in each probe's name; BEGIN and END always run; matching nothing is an error).
  @Test(.needsRoot) func longOptionsAndProbeFilter() throws {
    let listed = try run(["--quiet", "--list", "-e", "tracepoint:syscalls:sys_enter_openat* { }"])
    #expect(listed.stdout == "tracepoint:syscalls:sys_enter_openat\ntracepoint:syscalls:sys_enter_openat2\n", "\(listed.stderr)")
    let program = #"BEGIN { printf("begin\n"); } tracepoint:syscalls:sys_enter_open* { @[probe] = count(); }"#
    let filtered = try run(["--probe-filter", "openat$", "--dry-run", "--verbose", "-e", program])
    #expect(filtered.status == 0, "\(filtered.stderr)")
    let kept = try run(["--probe-filter", "openat$", "-l", "-e", program])
    #expect(kept.stdout == "BEGIN\ntracepoint:syscalls:sys_enter_openat\n", "\(kept.stdout)")
    let none = try run(["--probe-filter", "nothing", "-e", program])
    #expect(none.status == 1 && none.stderr.contains("no probe matches --probe-filter 'nothing'"), "\(none.stderr)")
    let bad = try run(["--probe-filter", "(", "-e", program])
    #expect(bad.status == 1 && bad.stderr.contains("invalid --probe-filter regular expression"), "\(bad.stderr)")
  }

  /// pid(curr_ns) is the pid in swiftrace's own pid namespace (a run fact: the namespace's device
  /// and inode), pid(init) the initial namespace's, as plain pid is.
  @Test(.needsRoot) func pidInItsOwnNamespace() throws {
    let r = try runProcess("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", swiftraceExecutable, "-q", "-e",
                                                #"BEGIN { printf("%d %d %d\n", pid(curr_ns), pid(init) != 1, pid == pid(init)); exit(); }"#])
    #expect(r.status == 0 && r.stdout.hasPrefix("1 1 1\n"), "\(r.stdout) \(r.stderr)")
  }

  /// Several -d stages print in the pipeline's order; codegen-opt is the optimized IR;
  /// --no-warnings drops warnings; BPFTRACE_COLOR=always colors the severity and the caret.
  @Test(.needsRoot) func debugStagesWarningsAndColor() throws {
    let stages = try run(["-d", "ast,codegen-opt", "-e", "BEGIN { @x = 1 + 2; }"])
    #expect(stages.status == 0 && stages.stdout.hasPrefix("Program\n") && stages.stdout.contains("store i64 3"), "\(stages.stderr)")
    let bad = try run(["-d", "ast,nope", "-e", "BEGIN { }"])
    #expect(bad.status == 1 && bad.stderr.contains("unknown -d stage 'nope'"))
    let program = "tracepoint:nope:x*, BEGIN { exit(); }"
    #expect(try run(["--dry-run", "-e", program]).stderr.contains("WARNING: no tracepoint matches"))
    let quiet = try run(["--no-warnings", "--dry-run", "-e", program])
    #expect(quiet.status == 0 && !quiet.stderr.contains("WARNING"), "\(quiet.stderr)")
    let colored = try runProcess(swiftraceExecutable, ["-e", "BEGIN { @x = ; }"], environment: ["BPFTRACE_COLOR": "always"])
    #expect(colored.stderr.contains("\u{1B}[1;31mERROR\u{1B}[0m: expected an expression"), "\(colored.stderr)")
    let plain = try runProcess(swiftraceExecutable, ["-e", "BEGIN { @x = ; }"], environment: ["BPFTRACE_COLOR": "never"])
    #expect(!plain.stderr.contains("\u{1B}["))
  }

  /// --test fails (exit 1) when a test returns something other than 0, exits with a failing
  /// status or calls errorf(), and lists it; a failing test's output shows between its RUN and
  /// FAILED lines, a passing one's does not; --bench prints bpftrace's table (mean nanoseconds and
  /// iterations; a bench probe that returns non-zero is skipped); a plain run loads neither.
  @Test(.needsRoot) func testAndBenchModes() throws {
    let program = #"test:ok { printf("hidden\n"); } test:returns { printf("context\n"); return 1; } test:exits { exit(2); } "#
      + #"test:complains { errorf("bad %d", 7); } bench:counting { @c = count(); } bench:skipped { return 1; } BEGIN { exit(); }"#
    let tests = try run(["--test", "-e", program])
    #expect(tests.status == 1, "\(tests.stderr)")
    #expect(tests.stdout.hasPrefix("[==========] Running 4 tests.\n[ RUN      ] ok\n[       OK ] ok ("), "\(tests.stdout)")
    #expect(tests.stdout.contains("[ RUN      ] returns\ncontext\n[  FAILED  ] returns ("), "\(tests.stdout)")
    #expect(tests.stdout.contains("ERROR: bad 7\n") && !tests.stdout.contains("hidden"), "\(tests.stdout)")
    #expect(tests.stdout.contains("[  PASSED  ] 1 test.\n[  FAILED  ] 3 tests, listed below:\n[  FAILED  ] returns\n[  FAILED  ] exits\n[  FAILED  ] complains\n"),
            "\(tests.stdout)")
    let bench = try run(["--bench", "-e", program])
    let header = "Benchmark" + String(repeating: " ", count: 32) + "Time(ns)       Iterations\n" + String(repeating: "-", count: 66) + "\n"
    #expect(bench.status == 0 && bench.stdout.hasPrefix(header), "\(bench.stdout)")
    #expect(bench.stdout.contains("\ncounting  ") && !bench.stdout.contains("skipped"), "\(bench.stdout)")
    let plain = try run(["-e", program])
    #expect(plain.status == 0 && plain.stdout.hasPrefix("Attaching 1 probe..."), "\(plain.stdout)")
  }

  /// import (bpftrace 0.24 and later): a file, relative to the importing script, or a directory's
  /// scripts; imported files import others, each read once; their probes run first; an error in
  /// an imported file names that file and its own line.
  @Test(.needsRoot) func importsJoinTheProgram() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-imports-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("lib"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func write(_ name: String, _ text: String) throws { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    try write("lib/helpers.bt", "macro greet() { printf(\"hello\\n\"); }\nBEGIN { printf(\"imported first\\n\"); }\n")
    try write("lib/more.bt", "import \"helpers.bt\";\nmacro twice(x) { x * 2 }\n")
    try write("main.bt", "import \"lib/more.bt\";\nimport \"lib\";\nBEGIN { greet(); @v = twice(21); exit(); }\n")
    let r = try run([dir.appendingPathComponent("main.bt").path])
    #expect(r.status == 0 && r.stdout == "Attaching 2 probes...\nimported first\nhello\n\n\n@v: 42\n", "\(r.stdout) \(r.stderr)")
    try write("lib/broken.bt", "// a comment\nmacro oops( { }\n")
    let broken = try run([dir.appendingPathComponent("main.bt").path])
    #expect(broken.status == 1 && broken.stderr.contains("lib/broken.bt:2:13: ERROR: expected a macro parameter"), "\(broken.stderr)")
    let missing = try run(["-e", "import \"no-such.bt\"; BEGIN { }"])
    #expect(missing.status == 1 && missing.stderr.contains("<command-line>:1:1: ERROR: imported file 'no-such.bt' not found"))
  }

  /// fentry:MODULE:FUNCTION (bpftrace 0.18 and later): vmlinux is the kernel itself; a module
  /// must be loaded (this kernel has none).
  @Test(.needsRoot) func moduleQualifiedFentryProbes() throws {
    let vmlinux = try run(["--dump=types", "-e", "fentry:vmlinux:vfs_read { @ = count(); }"])
    #expect(vmlinux.status == 0 && vmlinux.stdout.contains("0: kfunc:vfs_read"), "\(vmlinux.stdout)\(vmlinux.stderr)")
    let missing = try run(["--dump=types", "-e", "fentry:no_such_module:f { }"])
    #expect(missing.status == 1 && missing.stderr.contains("no kernel module 'no_such_module' is loaded"), "\(missing.stderr)")
  }

  /// A tracepoint field declared as an enum is a value of that enum (BTF) in newer syntax, printed
  /// by name; a 0.17 script keeps the integer.
  @Test(.needsRoot) func enumTracepointFieldsAreEnumsInNewerSyntax() throws {
    let program = "tracepoint:skb:kfree_skb { @[args.reason] = count(); }"
    let newer = try run(["--dump=types", "-e", program + " end { }"])
    #expect(newer.status == 0 && newer.stdout.contains("@[enum skb_drop_reason] -> count"), "\(newer.stdout)\(newer.stderr)")
    let older = try run(["--dump=types", "-e", program + " END { }"])
    #expect(older.status == 0 && older.stdout.contains("@[uint64] -> count"), "\(older.stdout)\(older.stderr)")
    let unknown = try run(["--dump=types", "-e", "begin { print((enum no_such_enum)1); }"])
    #expect(unknown.status == 1 && unknown.stderr.contains("no enum named 'no_such_enum'"), "\(unknown.stderr)")
  }

  /// Library names resolve through /etc/ld.so.cache; a missing target or function is located.
  @Test(.needsRoot) func uprobeTargetsAreResolvedAtCompileTime() throws {
    let types = try run(["--dump=types", "-e", "uprobe:libc:getpp* { @ = count(); }"])
    #expect(types.status == 0, "\(types.stderr)")
    #expect(types.stdout.contains(": uprobe:/"))
    #expect(types.stdout.contains("libc.so.6:getppid"))
    let target = try run(["--dump=types", "-e", "BEGIN { }\nuprobe:nosuchlibrary:f { }"])
    #expect(target.status == 1)
    #expect(target.stderr.contains("<command-line>:2:1: ERROR: uprobe target 'nosuchlibrary' is not a file"))
    let function = try run(["--dump=types", "-e", "uprobe:libc:no_such_function { }"])
    #expect(function.status == 1)
    #expect(function.stderr.contains("no function 'no_such_function' in /"))
    let skipped = try run(["--dump=types", "-e", "uprobe:libc:getppid, uprobe:libc:no_such_function { }"])
    #expect(skipped.status == 0)
    #expect(skipped.stderr.contains("WARNING: uprobe 'uprobe:libc:no_such_function': no function"))
    let nothing = try run(["--dump=types", "-e", "tracepoint:nope:x* { }"])
    #expect(nothing.status == 1)
    #expect(nothing.stderr.contains("<command-line>:1:1: ERROR: no tracepoint matches 'tracepoint:nope:x*'"))
  }

  /// exit(status) (bpftrace 0.18 and later): swiftrace exits with the status, modulo 256, after
  /// END and the maps; the first exit() decides it; exit() alone is 0.
  @Test(.needsRoot) func exitStatusIsExitsArgument() throws {
    for (program, status) in [("BEGIN { exit(3); }", Int32(3)), ("BEGIN { exit(); }", 0), ("BEGIN { exit(263); }", 7),
                              ("interval:10ms { @n++; if @n == 2 { exit(@n + 40); } } END { printf(\"end\\n\"); }", 42)] {
      let r = try run(["-q", "-e", program])
      #expect(r.status == status, "\(program): \(r.status) \(r.stderr)")
    }
    let ended = try run(["-q", "-e", "interval:10ms { @n++; if @n == 2 { exit(@n + 40); } } END { printf(\"end\\n\"); }"])
    #expect(ended.stdout.hasPrefix("end\n"), "\(ended.stdout)")
    let json = try run(["-q", "-f", "json", "-e", "BEGIN { exit(5); }"])
    #expect(json.status == 5)
  }

  /// missing_probes = warn or ignore: a probe that cannot attach (a kprobe, on a kernel without
  /// them) is skipped and the trace runs; unset, it is an error, as in 0.17.
  @Test(.needsRoot) func missingProbesSkipsWhatCannotAttach() throws {
    let probes = "kprobe:vfs_read { } interval:50ms { exit(); }"
    let strict = try run(["-q", "-e", probes])
    guard strict.status != 0 else { try Test.cancel("kprobes attach on this kernel: nothing is missing") }
    #expect(strict.stderr.contains("cannot attach kprobe:vfs_read"), "\(strict.stderr)")
    let warned = try run(["-q", "-e", "config = { missing_probes = warn } " + probes])
    #expect(warned.status == 0 && warned.stderr.contains("skipped (missing_probes = warn)"), "\(warned.stderr)")
    let ignored = try run(["-q", "-e", "config = { missing_probes = ignore } " + probes])
    #expect(ignored.status == 0 && !ignored.stderr.contains("kprobe"), "\(ignored.stderr)")
  }

  /// ppid (bpftrace 0.18 and later): the parent's pid, read from the task in BTF; swiftrace's own
  /// parent, in BEGIN, is this test.
  @Test(.needsRoot) func ppidIsTheParentsPid() throws {
    let r = try run(["-q", "-e", "BEGIN { printf(\"%d %d\\n\", ppid, ppid()); exit(); }"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("\(getpid()) \(getpid())\n"), "\(r.stdout)")
  }

  /// pcomm: the parent's comm (the thread that started swiftrace: one of this test's threads).
  @Test(.needsRoot) func pcommIsTheParentsName() throws {
    let r = try run(["-q", "-e", "BEGIN { printf(\"%s\\n\", pcomm); exit(); }"])
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(getpid())/task")) ?? []
    let names = tasks.compactMap { try? String(contentsOfFile: "/proc/\(getpid())/task/\($0)/comm", encoding: .utf8) }
    let printed = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
    #expect(names.contains(printed + "\n"), "\(printed) is none of \(names)")
  }

  @Test(.needsRoot) func versionInfoAndDebugStages() throws {
    let version = try run(["-V"])
    #expect(version.status == 0 && version.stdout.hasPrefix("swiftrace v"))
    let all = try run(["-d", "all", "-e", "BEGIN { @x = 1 }"])
    #expect(all.status == 0)
    #expect(all.stdout.contains("Program\n") && all.stdout.contains("maps\n") && all.stdout.contains("define "))
    // bpftrace 0.17's spellings: -d (before another option) and -dd print every stage.
    for spelling in [["-d"], ["-dd"]] {
      let old = try run(spelling + ["-e", "BEGIN { @x = 1 }"])
      #expect(old.status == 0 && old.stdout == all.stdout, "\(spelling): \(old.stderr)")
    }
    let badStage = try run(["-d", "nope", "-e", "BEGIN { }"])
    #expect(badStage.status == 1 && badStage.stderr.contains("unknown -d stage 'nope'"))
    let badBuffering = try run(["-B", "nope", "-e", "BEGIN { }"])
    #expect(badBuffering.status == 1 && badBuffering.stderr.contains("unknown buffering mode 'nope'"))
    guard isRoot else { try Test.cancel("needs root") }
    let info = try run(["--info"])
    #expect(info.status == 0 && info.stdout.contains("Kernel features\n") && info.stdout.contains("  BTF"))
    // bpftrace 0.17's feature lines, which harnesses read, each answered for this kernel.
    for line in ["  btf: yes\n", "  send_signal: yes\n", "  Loop support: yes\n", "  probe_read_kernel: yes\n",
                 "  libdw (DWARF support): yes\n", "  bcc library path resolution: yes\n", "  kfunc: no\n", "  iter:task: yes\n", "  skboutput: yes\n"] {
      #expect(info.stdout.contains(line), "\(line) in \(info.stdout)")
    }
  }

  /// -p PID: probes fire only in that process, and the trace ends when it exits.
  @Test func targetProcessFiltersAndEndsTheTrace() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let sleeper = Process()
    sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
    sleeper.arguments = ["1.5"]
    try sleeper.run()
    let result = try runProcess(swiftraceExecutable, [
      "-B", "line", "-p", "\(sleeper.processIdentifier)", "-e",
      "tracepoint:syscalls:sys_enter_exit_group, tracepoint:syscalls:sys_enter_getppid { @[comm, probe] = count(); }",
    ], timeout: 20)
    sleeper.waitUntilExit()
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasSuffix("\n\n\n@[sleep, tracepoint:syscalls:sys_enter_exit_group]: 1\n"), "\(result.stdout)")
    let missing = try run(["-p", "4194303", "-e", "BEGIN { }"])
    #expect(missing.status == 1 && missing.stderr.contains("-p 4194303: no such process"))
  }

  /// uprobe:*:FUNCTION (bpftrace 0.20 and later): with -p every file of the process that has the
  /// function, without -p every running process's; usdt:*:... likewise.
  @Test func uprobeOnEveryFileOfTheProcess() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let target = Process()
    target.executableURL = URL(fileURLWithPath: Fixtures.uprobeTarget)
    // Looping for minutes: a loaded machine's debug build takes tens of seconds to read every
    // process's files for the second run, and 100 million rounds (about 25 s) had ended by then.
    target.arguments = ["2000000000"]
    target.standardOutput = FileHandle.nullDevice
    target.standardError = FileHandle.nullDevice  // a target left running must not hold the test runner's pipe
    try target.run()
    defer { target.kill() }  // (terminate() left it looping, and `swift test` waited for its stderr)
    usleep(200_000)  // its libraries mapped
    let result = try runProcess(swiftraceExecutable, [
      "-p", "\(target.processIdentifier)", "-e", "uprobe:*:add { @[probe] = count(); } interval:ms:200 { exit(); }",
    ], timeout: 20)
    #expect(result.status == 0 && result.stdout.contains("@[uprobe:\(Fixtures.uprobeTarget):add]: "), "\(result.stdout) \(result.stderr)")
    // Without -p, '*' is every running process's files (the target among them). The files of the
    // processes running the tests (swift-package, the toolchain's libraries: LLVM's C++ symbols,
    // some with an `add`) are read by a debug build here, hence the time allowed.
    let everywhere = try runProcess(swiftraceExecutable, [
      "-e", "uprobe:*:add { @[probe] = count(); } usdt:*:swiftrace:tick { @ticks = 1; } interval:ms:200 { exit(); }",
    ], timeout: 90)
    // (A clean-clone run once saw `Attaching 3 probes` and ticks but no count for add; if it comes
    // back, the target's mapping of the fixture and whether it still runs say more.)
    let mapping = (try? String(contentsOfFile: "/proc/\(target.processIdentifier)/maps", encoding: .utf8))?
      .split(separator: "\n").filter { $0.contains("uprobe_target") && $0.contains("x") }.joined(separator: "\n")
    #expect(everywhere.status == 0 && everywhere.stdout.contains("@[uprobe:\(Fixtures.uprobeTarget):add]: ")
              && everywhere.stdout.contains("@ticks: 1"),
            "\(everywhere.stdout) \(everywhere.stderr)\ntarget running: \(target.isRunning), maps: \(mapping ?? "unreadable")")
    let none = try run(["-e", "uprobe:*:no_function_has_this_name { }"])
    #expect(none.status == 1 && none.stderr.contains("no file a running process maps has function 'no_function_has_this_name'"),
            "\(none.stderr)")
  }

  @Test func listsProbes() throws {
    guard isRoot else { try Test.cancel("needs root (tracefs)") }
    let verbose = try run(["-lv", "tracepoint:syscalls:sys_enter_openat"])
    #expect(verbose.status == 0)
    #expect(verbose.stdout == """
      tracepoint:syscalls:sys_enter_openat
          int __syscall_nr
          int dfd
          const char * filename
          int flags
          umode_t mode

      """)
    let pattern = try run(["-l", "tracepoint:syscalls:sys_enter_exec*"])
    #expect(pattern.stdout == "tracepoint:syscalls:sys_enter_execve\ntracepoint:syscalls:sys_enter_execveat\n")
    // Provider aliases and comma lists, each probe once (with -v, its fields once).
    let aliases = try run(["-lv", "t:syscalls:sys_enter_exec*,rt:sched_switch, tracepoint:syscalls:sys_enter_execve"])
    #expect(aliases.stdout.hasPrefix("tracepoint:syscalls:sys_enter_execve\n    int __syscall_nr\n"), "\(aliases.stdout)")
    #expect(aliases.stdout.components(separatedBy: "\n").filter { !$0.hasPrefix(" ") && !$0.isEmpty }
      == ["tracepoint:syscalls:sys_enter_execve", "tracepoint:syscalls:sys_enter_execveat", "rawtracepoint:sched_switch"],
      "\(aliases.stdout)")
    let software = try run(["-l", "software:*"])
    #expect(software.stdout.hasPrefix("software:cpu-clock:\nsoftware:task-clock:\n"))
    let all = try run(["-l"])
    #expect(all.stdout.contains("\ntracepoint:sched:sched_switch\n"))
    #expect(all.stdout.contains("\nrawtracepoint:sched_switch\n"))
    #expect(all.stdout.contains("\nkprobe:vfs_read\n"), "bare -l lists kernel functions, for the -l | grep habit")
    let program = try run(["-l", "-e", "BEGIN { } t:syscalls:sys_enter_exec* { }"])
    #expect(program.stdout == "BEGIN\ntracepoint:syscalls:sys_enter_execve\ntracepoint:syscalls:sys_enter_execveat\n")
    let usdt = try run(["-lv", "usdt:\(Fixtures.uprobeTarget):*"])
    #expect(usdt.stdout.contains("usdt:\(Fixtures.uprobeTarget):swiftrace:tick\n    arg0: int32 (-4@"), "\(usdt.stdout)")
    let user = try run(["-l", "uprobe:\(Fixtures.uprobeTarget):ad*"])
    #expect(user.stdout == "uprobe:\(Fixtures.uprobeTarget):add\n")
    // -lv of a uprobe: its parameters from the binary's DWARF, spelled as bpftrace spells them.
    let parameters = try run(["-lv", "uprobe:\(Fixtures.uprobeTarget):*"])
    #expect(parameters.stdout.contains("uprobe:\(Fixtures.uprobeTarget):inspect\n    struct sample* s\n"), "\(parameters.stdout)")
    #expect(parameters.stdout.contains("uprobe:\(Fixtures.uprobeTarget):main\n    int argc\n    char** argv\n"), "\(parameters.stdout)")
    // Without DWARF, `args` in a uprobe says what is missing.
    let stripped = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-stripped-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: stripped) }
    _ = try runProcess("/usr/bin/objcopy", ["--strip-debug", Fixtures.uprobeTarget, stripped])
    let noDebug = try run(["--dry-run", "-e", "uprobe:\(stripped):inspect { print(args->s->count); }"])
    #expect(noDebug.status == 1 && noDebug.stderr.contains("'args' in a uprobe needs the function's debug information (DWARF)"),
            "\(noDebug.stderr)")
  }

  /// iter: probes list with their context's fields, and a pinned one is read later, by anyone.
  @Test func iteratorsListAndPin() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let listed = try run(["-lv", "iter:task*"])
    #expect(listed.stdout.hasPrefix("iter:task\n    struct task_struct * task\niter:task_file\n    struct task_struct * task\n    uint32 fd\n"),
            "\(listed.stdout)")
    let name = "swiftrace-test-\(getpid())"
    defer { unlink("/sys/fs/bpf/\(name)") }
    let pinned = try run(["-e", "iter:task:\(name) /ctx->task->pid == 1 || ctx->task->pid == 2/ { printf(\"task %d\\n\", ctx->task->pid); }"])
    #expect(pinned.status == 0 && pinned.stdout.contains("Program pinned to /sys/fs/bpf/\(name)\n"), "\(pinned.stdout)\(pinned.stderr)")
    // The trace has ended; reading the pin runs the program now.
    let read = try runProcess("/bin/cat", ["/sys/fs/bpf/\(name)"])
    #expect(read.stdout.contains("task 2\n"), "\(read.stdout)")
  }

  @Test(.needsRoot) func listsWildcardFilesProvidersAndProcesses() throws {
    let target = Fixtures.uprobeTarget
    let wildcardFile = try run(["-l", "uprobe:\(target.dropLast(3))*:ad*"])
    #expect(wildcardFile.stdout == "uprobe:\(target):add\n", "\(wildcardFile.stdout)")
    let type = try run(["-lv", "struct path"])
    #expect(type.stdout == "struct path {\n\tstruct vfsmount *mnt;\n\tstruct dentry *dentry;\n};\n\n", "\(type.stdout)")
    let names = try run(["-l", "enum pid_t*"])
    #expect(names.stdout == "enum pid_type\n", "\(names.stdout)")
    let returns = try run(["-l", "uretprobe:\(target):ad*"])
    #expect(returns.stdout == "uretprobe:\(target):add\n", "\(returns.stdout)")
    let anyProvider = try run(["-l", "*:\(target):*"])
    #expect(anyProvider.stdout.contains("uprobe:\(target):greet\n"), "\(anyProvider.stdout)")
    #expect(anyProvider.stdout.contains("usdt:\(target):swiftrace:guarded\n"), "\(anyProvider.stdout)")
    // This test process maps libc: -p lists the functions of the files it has mapped.
    let process = try run(["-l", "uprobe:*:malloc", "-p", String(getpid())])
    #expect(process.stdout.contains("libc.so.6:malloc\n"), "\(process.stdout)")
    // With -p and no pattern: the process's own probes only, as bpftrace lists them.
    let own = try run(["-l", "-p", String(getpid())])
    #expect(own.stdout.contains("libc.so.6:malloc\n") && !own.stdout.contains("tracepoint:") && !own.stdout.contains("kprobe:"))
    let bad = try run(["-l", "\\n"])
    #expect(bad.status == 1 && bad.stderr.contains("invalid character"), "\(bad.stderr)")
  }

  /// Output that could not be written (a full disk under -o) fails the trace: exit status 1.
  @Test func lostOutputFailsTheTrace() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let r = try run(["-o", "/dev/full", "-e", "BEGIN { printf(\"hi\\n\"); @x = 1; exit(); }"])
    #expect(r.status == 1 && r.stderr.contains("WARNING: writing the output failed (No space left on device)"), "\(r.stderr)")
  }

  @Test func outputFileTakesTheResults() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-o-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try run(["-o", path, "-f", "json", "-e", "BEGIN { printf(\"hi\\n\"); @x = 1; exit(); }"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "")
    let written = try String(contentsOfFile: path, encoding: .utf8)
    #expect(written == """
      {"type": "attached_probes", "data": {"probes": 1}}
      {"type": "printf", "data": "hi\\n"}
      {"type": "map", "data": {"@x": 1}}

      """)
    let unwritable = try run(["-o", "/nonexistent/dir/out", "-e", "BEGIN { exit(); }"])
    #expect(unwritable.status == 1)
    #expect(unwritable.stderr.contains("cannot write '/nonexistent/dir/out'"))
  }

  /// A verifier rejection points at the script line of the instruction the verifier stopped at.
  @Test(.needsRoot) func verifierRejectionPointsAtTheScriptLine() throws {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-spin-\(getpid()).st")
    defer { try? FileManager.default.removeItem(at: script) }
    try "BEGIN {\n  $i = 0;\n  while (1) {\n    $i++;\n  }\n}\n".write(to: script, atomically: true, encoding: .utf8)
    let r = try run([script.path])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("\(script.path):4:5: ERROR: the kernel's BPF verifier rejected probe 'BEGIN': infinite loop detected"),
            "\(r.stderr)")
    #expect(r.stderr.contains(" 4 |     $i++;\n"))
    #expect(r.stderr.contains("hint: run with -v to see the whole verifier log"))
    let verbose = try run(["-v", script.path])
    #expect(verbose.status == 1)
    #expect(verbose.stderr.contains("-- BEGIN PROG LOAD LOG --"))
  }

  /// Without root (or the capabilities), one line says so; parsing alone still works.
  @Test(.needsRoot) func nonRootGetsOneLine() throws {
    for args in [["-e", "tracepoint:syscalls:sys_enter_openat { @ = count(); }"], ["-l", "tracepoint:*"]] {
      let r = try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                  swiftraceExecutable] + args)
      #expect(r.status == 1)
      #expect(r.stderr == "ERROR: swiftrace must run as root (or with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH); only --dump=ast works without\n")
    }
    let ast = try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                  swiftraceExecutable, "--dump=ast", "-e", "BEGIN { exit(); }"])
    #expect(ast.status == 0)
  }

  /// The committed completions and man page describe the options the binary has.
  @Test func completionsAndManPageAreCurrent() throws {
    for shell in ["bash", "zsh", "fish"] {
      let r = try run(["--generate-completion-script", shell])
      let committed = try String(contentsOf: Golden.repositoryRoot.appendingPathComponent("Docs/completions/swiftrace.\(shell)"),
                                 encoding: .utf8)
      #expect(r.stdout == committed, "regenerate Docs/completions/swiftrace.\(shell)")
    }
    let manual = try String(contentsOf: Golden.repositoryRoot.appendingPathComponent("Docs/swiftrace.1"), encoding: .utf8)
    let help = try run(["--help"]).stdout
    for option in ["--metrics", "--dry-run", "--unsafe", "--info", "--include", "--dump"] {
      #expect(help.contains(option) && manual.contains("Fl -" + option.dropFirst(2)), "\(option) in --help and Docs/swiftrace.1")
    }
  }

  /// A key of 549 bytes does not fit BPF's 512-byte stack: it is built in the per-CPU scratch map
  /// (it was "the BPF stack limit of 512 bytes is exceeded").
  @Test func keysLargerThanTheStackFit() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let literal = "\"" + String(repeating: "x", count: 60) + "\""
    let r = try run(["-e", "BEGIN {\n  @k[" + Array(repeating: literal, count: 9).joined(separator: ", ") + "] = 1; exit();\n}"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasSuffix("@k[" + Array(repeating: String(repeating: "x", count: 60), count: 9).joined(separator: ", ") + "]: 1\n"))
  }

  /// Inserts into a full map are counted in BPF and reported at exit (bpftrace drops them silently).
  @Test(.needsRoot) func fullMapsAreReported() throws {
    let r = try runProcess(swiftraceExecutable,
                           ["-e", "BEGIN { $i = 0; while ($i < 10) { @x[$i] = $i; @n[$i] = count(); $i++; } exit(); }"],
                           environment: ["BPFTRACE_MAP_KEYS_MAX": "4"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.components(separatedBy: "@x[").count - 1 == 4)
    #expect(r.stderr.contains("WARNING: 6 updates of @x failed: the map was full (raise BPFTRACE_MAP_KEYS_MAX)\n"))
    #expect(r.stderr.contains("WARNING: 6 updates of @n failed: the map was full (raise BPFTRACE_MAP_KEYS_MAX)\n"))
    // A declared map's size is its declaration's: the warning says so.
    let declared = try run(["-e", "let @d = hash(2); BEGIN { @d[1] = 1; @d[2] = 2; @d[3] = 3; exit(); }"])
    #expect(declared.stderr.contains("WARNING: 1 updates of @d failed: the map was full (raise the 2 entries its declaration gives)\n"),
            "\(declared.stderr)")
  }

  /// `func+OFFSET` past the function's end and an address outside every function are located
  /// errors with bpftrace's words, not a failed attach (or a probe on nothing).
  @Test(.needsRoot) func uprobeOffsetsAndAddressesAreChecked() throws {
    let target = Fixtures.uprobeTarget
    let offset = try run(["--dry-run", "-e", "uprobe:\(target):add+100000 { }"])
    #expect(offset.status == 1 && offset.stderr.contains("Offset outside the function bounds ('add' size is"), "\(offset.stderr)")
    let address = try run(["--dry-run", "-e", "uprobe:\(target):10 { }"])
    #expect(address.status == 1 && address.stderr.contains("Could not resolve address: \(target):0xa"), "\(address.stderr)")
    let inside = try run(["--dry-run", "-e", "uprobe:\(target):add+1 { }"])
    #expect(inside.status == 0, "\(inside.stderr)")
  }

  /// debugf() goes to the kernel's trace buffer, formatted there.
  @Test(.needsRoot) func debugfWritesTheTraceBuffer() throws {
    let marker = "swiftrace-debugf-\(getpid())"
    let r = try run(["-e", "i:ms:1 { debugf(\"\(marker) %s %d %x\", \"a\", 1, 16); exit(); }"])
    #expect(r.status == 0, "\(r.stderr)")
    let trace = (try? String(contentsOfFile: "/sys/kernel/tracing/trace", encoding: .utf8)) ?? ""
    #expect(trace.contains("\(marker) a 1 10"), "not in the trace buffer")
  }

  /// With -p, a uprobe path that exists only in the process's mount namespace (a container's
  /// program) is found through /proc/PID/root.
  @Test func uprobeTargetInAnotherMountNamespace() throws {
    guard isRoot, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { try Test.cancel("needs root and unshare") }
    let hidden = "/tmp/swiftrace-mountns-\(getpid())"
    let binDirectory = Fixtures.binDirectory.path
    let script = "mkdir -p \(hidden) && mount --bind \(binDirectory) \(hidden) && exec \(hidden)/uprobe_target 2000000000"
    let child = try runProcess("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script],
                               timeout: 20, interruptAfter: 1, signal: SIGKILL, inspectAfter: 0.3) { pid in
      // unshare execs sh, which execs the program: the pid stays the same.
      let r = try? self.run(["--dry-run", "-p", String(pid), "-e", "uprobe:\(hidden)/uprobe_target:add { }"])
      #expect(r?.status == 0, "\(r?.stderr ?? "")")
    }
    _ = child
    rmdir(hidden)
  }

  /// A `-c` command that does not exist is one line and exit 1, before anything is loaded.
  @Test(.needsRoot) func missingChildCommand() throws {
    let r = try run(["-c", "no-such-program-here --flag", "-e", "BEGIN { printf(\"ran\\n\"); }"])
    #expect(r.status == 1 && !r.stdout.contains("ran"), "\(r.stdout)")
    #expect(r.stderr.contains("cannot run 'no-such-program-here'"), "\(r.stderr)")
  }

  /// Output that cannot be written (a full disk) is reported once, not lost in silence.
  @Test(.needsRoot) func failedOutputWritesAreReported() throws {
    let r = try run(["-o", "/dev/full", "-e", "BEGIN { printf(\"x\\n\"); printf(\"y\\n\"); exit(); }"])
    #expect(r.stderr.components(separatedBy: "writing the output failed (No space left on device)").count == 2, "\(r.stderr)")
  }

  @Test func helpExitsZero() throws {
    let help = try run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("--dry-run"))
  }

  @Test(.needsRoot) func missingScriptFile() throws {
    let r = try run(["/nonexistent/script.st"])
    #expect(r.status == 1)
    #expect(r.stderr == "ERROR: failed to open file '/nonexistent/script.st': No such file or directory\n")
  }

  @Test(.needsRoot) func allErrorsOfAStageAreReported() throws {
    let r = try run(["-e", "BEGIN { @a = nope; @b = $x; printf(\"%d\\n\"); }"])
    #expect(r.status == 1)
    let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("<command-line>:1:") }
    #expect(lines.count == 3, "\(r.stderr)")
  }

  @Test(.needsRoot) func cDefinitionErrorsPointAtTheScript() throws {
    let r = try run(["-e", "struct bad {\n  intt x;\n};\nBEGIN { exit(); }"])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("<command-line>:2:3: ERROR: unknown type name 'intt'"), "\(r.stderr)")
    // A missing header is an error, but a kernel header BTF stands in for is not.
    let missing = try run(["-e", "#include <no/such/header.h>\nBEGIN { exit(); }"])
    #expect(missing.status == 1 && missing.stderr.hasPrefix("<command-line>:1:10: ERROR: 'no/such/header.h' file not found"),
            "\(missing.stderr)")
    let kernel = try run(["-e", "#include <net/no_such_kernel_header.h>\nBEGIN { exit(); }"])
    #expect(kernel.status == 0, "\(kernel.stderr)")
  }

  @Test(.needsRoot) func dumpStages() throws {
    let program = "kprobe:do_sys_open < @[comm]=count() >"
    let ast = try run(["--dump=ast", "-e", program])
    #expect(ast.status == 0)
    #expect(ast.stdout.hasPrefix("Program\n probe kprobe:do_sys_open <>\n"))
    let types = try run(["--dump=types", "-e", program])
    #expect(types.status == 0)
    #expect(types.stdout.contains(" @[string[16]] -> count (perCPUHash)"))
    let ir = try run(["--dump=llvm", "-e", program])
    #expect(ir.status == 0)
    #expect(ir.stdout.contains("section \"kprobe/do_sys_open\""))
    #expect(ir.stdout.contains("section \".maps\""))
    // The BPF helpers appear as calls through their numbers (1 = map_lookup_elem, 16 = get_current_comm).
    #expect(ir.stdout.contains("inttoptr (i64 1 to") && ir.stdout.contains("inttoptr (i64 16 to"))
  }
}
