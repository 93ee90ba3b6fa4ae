import SwiftraceBasics
import SwiftracePipeline
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceTestSupport
import Testing

/// The stages as the command line and the fuzzer run them, in process: each stops with a typed
/// failure, the script's errors located, and the configuration reaches every stage. Tracepoint
/// formats come from fixtures, so none of this needs root or tracefs.
@Suite struct CompilationTests {
  let context = Compilation.Context(tracepoints: TracefsCatalog(roots: [Golden.fixtureTracefs]),
                                    kernelTypes: KernelBTF())

  func compilation(_ text: String, _ configure: (inout Configuration) -> Void = { _ in }) -> Compilation {
    var configuration = Configuration()
    configure(&configuration)
    return Compilation(source: SourceFile(name: "t.st", text: text), configuration: configuration)
  }

  /// The failure BODY stops with, or nil.
  func failure(_ body: () throws(CompileFailure) -> Void) -> CompileFailure? {
    do { try body() } catch { return error }
    return nil
  }

  @Test func everyStageRunsInTurn() throws {
    let c = compilation("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }")
    let checked = try c.check(try c.parse(), in: context)
    #expect(checked.probes.map { $0.name } == ["tracepoint:syscalls:sys_enter_openat"])
    #expect(try c.lower(checked).contains("define"))
    let object = try c.emit(checked)
    #expect(object.elf.starts(with: [0x7f, 0x45, 0x4c, 0x46]))
    #expect(object.programs.count == 1)
  }

  /// A block's tracepoints or uprobes share one program when its code does not depend on which
  /// fired (`probe` reads the attach cookie); reading `args` (or `func` in uprobes) gives each its own.
  @Test func wildcardProbesShareAProgram() throws {
    func programs(_ text: String) throws -> [BPFObjectCode.ProgramSymbol] {
      let c = compilation(text)
      do { return try c.emit(try c.check(try c.parse(), in: context)).programs } catch {
        Issue.record("\(c.takeDiagnostics())")
        throw error
      }
    }
    let shared = try programs("tracepoint:syscalls:sys_enter_* { @[probe] = count(); }")
    #expect(shared.count == 2 && Set(shared.map(\.functionName)).count == 1 && Set(shared.map(\.probeIndex)).count == 2)
    let c = compilation("tracepoint:syscalls:sys_enter_* { @[probe] = count(); }")
    #expect(try c.lower(try c.check(try c.parse(), in: context)).contains("inttoptr (i64 174 to"))  // bpf_get_attach_cookie
    let own = try programs("tracepoint:syscalls:sys_enter_* { @[args->__syscall_nr] = count(); }")
    #expect(own.count == 2 && Set(own.map(\.functionName)).count == 2)
    let alone = try programs("tracepoint:syscalls:sys_enter_openat { @[probe] = count(); } tracepoint:sched:sched_switch { @[probe] = count(); }")
    #expect(Set(alone.map(\.functionName)).count == 2)
    let libc = "/lib/x86_64-linux-gnu/libc.so.6"
    let user = try programs("uprobe:\(libc):malloc, uprobe:\(libc):free { @[probe] = count(); } uprobe:\(libc):malloc, uprobe:\(libc):free { @f[func] = count(); }")
    #expect(user.count == 4 && Set(user.map(\.functionName)).count == 3)
  }

  /// Kernel field reads (CO-RE relocations) compile again and again in one process, one after
  /// another and side by side: LLVM 14's BPF backend keeps the globals of its relocations in a
  /// process-wide map that outlives each module (the fuzzer crashed on a freed one).
  @Test func kernelFieldReadsCompileRepeatedlyInOneProcess() async throws {
    let scripts = [
      "BEGIN { @a = curtask->pid; @b = curtask->real_parent->tgid; @c = ppid; }",
      "tracepoint:syscalls:sys_enter_openat { @[comm, curtask->tgid] = count(); @p[curtask->real_parent->pid] = sum(curtask->pid); }",
    ]
    for round in 0..<40 {
      let c = compilation(scripts[round % 2])
      #expect(try c.emit(try c.check(try c.parse(), in: context)).elf.count > 0)
    }
    try await withThrowingTaskGroup(of: Int.self) { group in
      for round in 0..<8 {
        let script = scripts[round % 2]
        group.addTask {
          // A context of its own: the kernel type catalog caches without a lock.
          let context = Compilation.Context(tracepoints: TracefsCatalog(roots: [Golden.fixtureTracefs]),
                                            kernelTypes: KernelBTF())
          let c = Compilation(source: SourceFile(name: "t.st", text: script), configuration: Configuration())
          return try c.emit(try c.check(try c.parse(), in: context)).elf.count
        }
      }
      for try await size in group { #expect(size > 0) }
    }
  }

  /// What only a run knows (cpid, the start time for elapsed) is written into the loaded object
  /// by the session, so the same script and configuration always make the same object.
  @Test func theObjectDoesNotDependOnTheRun() throws {
    func object() throws -> [UInt8] {
      let c = compilation("tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @[elapsed / 1000000000] = count(); }")
      return try c.emit(try c.check(try c.parse(), in: context)).elf
    }
    let first = try object()
    #expect(try object() == first)
    let c = compilation("BEGIN { @ = elapsed + cpid; }")
    #expect(try c.lower(try c.check(try c.parse(), in: context)).contains("@swiftrace_run = global [\(RunFact.allCases.count) x i64]"))
  }

  @Test func syntaxErrorsStopAtParseLocated() {
    let c = compilation("BEGIN { printf(\"x\" }")
    #expect(throws: CompileFailure.self) { try c.parse() }
    #expect(c.report(.diagnostics).hasPrefix("t.st:1:"))
  }

  @Test func aProgramWithoutProbesSaysSo() throws {
    let c = compilation("// nothing here\n")
    let stop = failure { () throws(CompileFailure) in _ = try c.parse() }
    #expect(stop.map(c.report) == "t.st:1:1: error: the program has no probes\n")
  }

  @Test func typeErrorsStopAtCheck() throws {
    let c = compilation("BEGIN { @x = 1; @x = \"s\"; }")
    let program = try c.parse()
    #expect(throws: CompileFailure.self) { try c.check(program, in: context) }
    #expect(c.diagnostics.hasErrors)
    #expect(c.report(.diagnostics).contains("t.st:1:"))
  }

  @Test func theConfigurationReachesTheChecker() throws {
    // max_strlen: a string literal longer than it is refused, as with BPFTRACE_STRLEN.
    let literal = "BEGIN { @s = \"" + String(repeating: "a", count: 40) + "\"; }"
    let short = compilation(literal) { $0.maxStrlen = 16 }
    #expect(throws: CompileFailure.self) { try short.check(try short.parse(), in: context) }
    let long = compilation(literal) { $0.maxStrlen = 64 }
    _ = try long.check(try long.parse(), in: context)
    // unsafe
    let system = compilation("BEGIN { system(\"true\"); }")
    #expect(throws: CompileFailure.self) { try system.check(try system.parse(), in: context) }
    let allowed = compilation("BEGIN { system(\"true\"); }") { $0.unsafe = true }
    _ = try allowed.check(try allowed.parse(), in: context)
  }

  @Test func probeLimitsNameTheirVariable() throws {
    let c = compilation("tracepoint:syscalls:sys_enter_* { }") { $0.maxProbes = 1 }
    let stop = failure { () throws(CompileFailure) in _ = try c.check(try c.parse(), in: context) }
    #expect(stop.map(c.report)?.contains("more than the limit of 1; raise it with BPFTRACE_MAX_PROBES") == true)
  }

  @Test func theConfigurationReachesCodeGeneration() throws {
    // max_map_keys sizes the map in the object.
    func ir(_ keys: Int?) throws -> String {
      let c = compilation("BEGIN { @m[1] = 1; }") { $0.maxMapKeys = keys }
      return try c.lower(try c.check(try c.parse(), in: context))
    }
    #expect(try ir(nil) != ir(12345))
    #expect(try ir(12345).contains("12345"))
  }

  /// A range loop's body becomes a bpf_loop() callback (checked once by the verifier); a body that
  /// needs the probe's context or returns from the probe stays an inline loop. Only the variables
  /// a callback uses move to the frame map: the others stay where the verifier knows them.
  @Test func rangeLoopsBecomeCallbacksWhenTheyCan() throws {
    func ir(_ text: String) throws -> String {
      let c = compilation(text)
      return try c.lower(try c.check(try c.parse(), in: context))
    }
    let plain = try ir("BEGIN { $n = 0; while ($n < 3) { $n++; } for $i : 0..$n { @sum += $i; } }")
    #expect(plain.contains("define internal i64 @p0_range1("))
    #expect(plain.contains("inttoptr (i64 181 to"))  // bpf_loop
    #expect(plain.contains("%\"$n\" = alloca"), "$n is not used in the callback: it stays on the stack")
    #expect(!plain.contains("%\"$i\" = alloca"), "$i is the callback's: it lives in the frame")
    let needsContext = try ir("tracepoint:syscalls:sys_enter_openat { for $i : 0..2 { @[args.flags] = count(); } }")
    #expect(!needsContext.contains("_range"), "args needs the probe's context")
    let returns = try ir("BEGIN { for $i : 0..2 { if ($i == 1) { return; } @x = $i; } }")
    #expect(!returns.contains("_range"), "return ends the probe, which a callback cannot")
    let never = try ir("BEGIN { for $i : 5..1 { @x = $i; } }")
    #expect(!never.contains("181 to"), "a loop known to run 0 times calls nothing")
  }

  /// `return value` (bpftrace 0.22 and later) makes the program's return value: what a test
  /// probe's pass or failure will be read from. A string is refused.
  @Test func returnTakesAValue() throws {
    let c = compilation("BEGIN { if (pid > 1) { return 7; } return; }")
    let ir = try c.lower(try c.check(try c.parse(), in: context))
    #expect(ir.contains("ret i32 7") && ir.contains("ret i32 0"), "\(ir)")
    let bad = compilation("BEGIN { return \"no\"; }")
    #expect(throws: CompileFailure.self) { try bad.check(try bad.parse(), in: context) }
    #expect(bad.report(.diagnostics).contains("a probe returns an integer"))
  }

  /// Macros expand before checking: the checker and code generator see ordinary statements.
  @Test func macrosExpandBeforeChecking() throws {
    let c = compilation("macro twice(x) { x * 2 }\nBEGIN { @v = twice(21); }")
    let checked = try c.check(try c.parse(), in: context)
    #expect(checked.map(named: "@v")?.valueType == .int64)
    let bad = compilation("macro f($v) { $v }\nBEGIN { @v = f(1); }")
    #expect(throws: CompileFailure.self) { try bad.parse() }
    #expect(bad.report(.diagnostics).contains("t.st:2:16: ERROR: macro 'f' needs a scratch variable"))
  }

  /// getopt() options: typed by the default, given after --; one the program does not read is an
  /// error that lists those it does.
  @Test func programOptionsAreTypedAndChecked() throws {
    let text = "BEGIN { @d = getopt(\"depth\", 35); @v = getopt(\"verbose\"); @n = getopt(\"name\", \"x\"); }"
    let given = compilation(text) { $0.programOptions = [.init(name: "depth", value: "7"), .init(name: "verbose", value: nil)] }
    let checked = try given.check(try given.parse(), in: context)
    #expect(checked.map(named: "@d")?.valueType == .uint64)
    #expect(checked.map(named: "@v")?.valueType == .bool)
    #expect(checked.programOptions.map(\.name) == ["depth", "name", "verbose"])
    let unknown = compilation(text) { $0.programOptions = [.init(name: "deep", value: "1")] }
    let stop = failure { () throws(CompileFailure) in _ = try unknown.check(try unknown.parse(), in: context) }
    #expect(stop.map(unknown.report)?.contains("unknown program option --deep: it reads --depth (default 35)") == true)
    let wrong = compilation(text) { $0.programOptions = [.init(name: "depth", value: "deep")] }
    #expect(throws: CompileFailure.self) { try wrong.check(try wrong.parse(), in: context) }
    #expect(wrong.report(.diagnostics).contains("program option --depth expects an integer, given 'deep'"))
  }
}

/// Settings from the environment, through their declarations (ConfigKey).
@Suite struct ConfigurationTests {
  @Test func environmentSetsEachKind() throws {
    var c = Configuration()
    try c.read(environment: ["BPFTRACE_STRLEN": "100", "BPFTRACE_MAP_KEYS_MAX": " 9 ", "BPFTRACE_NO_CPP_DEMANGLE": "1",
                             "BPFTRACE_NO_USER_SYMBOLS": "0", "UNRELATED": "x"])
    #expect(c.maxStrlen == 100)
    #expect(c.maxMapKeys == 9)
    #expect(c.cppDemangle == false)
    #expect(c.userSymbols == true)
    #expect(c.maxProbes == 512)
  }

  /// Newer bpftrace's names (BPFTRACE_ and the key) are read too, win over 0.17's, and never
  /// negate: BPFTRACE_CPP_DEMANGLE=false is demangling off.
  @Test func newerVariableNamesAreRead() throws {
    var c = Configuration()
    try c.read(environment: ["BPFTRACE_STRLEN": "100", "BPFTRACE_MAX_STRLEN": "120", "BPFTRACE_CPP_DEMANGLE": "false",
                             "BPFTRACE_MAX_MAP_KEYS": "5", "BPFTRACE_STR_TRUNC_TRAILER": ""])
    #expect(c.maxStrlen == 120 && c.maxMapKeys == 5 && c.cppDemangle == false)
    #expect(c.strTruncTrailer == "")
    #expect(c.truncationTrailer(newerSyntax: true) == "")
  }

  /// str_trunc_trailer: unset, `..` for newer syntax and nothing (0.17's strings) otherwise.
  @Test func theTrailerFollowsTheScriptsGeneration() throws {
    var c = Configuration()
    #expect(c.truncationTrailer(newerSyntax: false) == nil)
    #expect(c.truncationTrailer(newerSyntax: true) == "..")
    try c.set(.strTruncTrailer, scriptValue: .text("~"))
    #expect(c.truncationTrailer(newerSyntax: false) == "~")
  }

  @Test func badValuesNameTheVariable() {
    for (variable, value, words) in [("BPFTRACE_STRLEN", "70000", "from 1 to 65536"), ("BPFTRACE_MAX_PROBES", "x", "number"),
                                     ("BPFTRACE_NO_CPP_DEMANGLE", "yes", "0 or 1"),
                                     ("BPFTRACE_BTF", "/nonexistent/btf", "cannot be read")] {
      var c = Configuration()
      do {
        try c.read(environment: [variable: value])
        Issue.record("\(variable)=\(value) was accepted")
      } catch {
        #expect(error.description.hasPrefix(variable) && error.description.contains(words), "\(error)")
      }
    }
  }

  @Test func helpListsEveryKey() {
    let help = ConfigKey.environmentHelp.split(separator: "\n")
    #expect(help.count == ConfigKey.allCases.count)
    for (line, key) in zip(help, ConfigKey.allCases) {
      #expect(line.hasPrefix("  " + key.environmentVariable + " "))
    }
  }
}

/// `config = { ... }` at the top of a script sets what the environment sets, through the same
/// declarations; the environment wins; each problem is located.
@Suite struct ConfigBlockTests {
  let context = Compilation.Context(tracepoints: TracefsCatalog(roots: [Golden.fixtureTracefs]),
                                    kernelTypes: KernelBTF())

  func check(_ text: String, environment: [String: String] = [:]) throws -> Compilation {
    var configuration = Configuration()
    try configuration.read(environment: environment)
    let c = Compilation(source: SourceFile(name: "t.st", text: text), configuration: configuration)
    _ = try? c.check(try c.parse(), in: context)
    return c
  }

  @Test func keysInEverySpellingSetTheConfiguration() throws {
    for key in ["max_map_keys", "MAX_MAP_KEYS", "BPFTRACE_MAX_MAP_KEYS", "BPFTRACE_MAP_KEYS_MAX"] {
      let c = try check("config = { \(key) = 7 } BEGIN { exit(); }")
      #expect(!c.diagnostics.hasErrors, "\(key): \(c.diagnostics.diagnostics.map(\.message))")
      #expect(c.configuration.maxMapKeys == 7, "\(key)")
    }
    let c = try check("config = { cpp_demangle = false; max_strlen = 100; cache_user_symbols = PER_PID } BEGIN { exit(); }")
    #expect(c.configuration.cppDemangle == false && c.configuration.maxStrlen == 100)
  }

  @Test func theEnvironmentWins() throws {
    let c = try check("config = { max_strlen = 16 } BEGIN { exit(); }", environment: ["BPFTRACE_STRLEN": "48"])
    #expect(c.configuration.maxStrlen == 48)
  }

  @Test func itReachesTheChecker() throws {
    let literal = String(repeating: "a", count: 40)
    let c = try check("config = { max_strlen = 16 } BEGIN { @s = \"\(literal)\"; }")
    #expect(c.diagnostics.diagnostics.map(\.message).contains { $0.hasPrefix("string is too long (over 16 bytes") })
  }

  /// missing_probes: unset, 0.17's warning; error, warn and ignore as newer bpftrace has them.
  @Test func missingProbesDecidesWhatANameThatMatchesNothingIs() throws {
    let probes = "tracepoint:nope:x*, tracepoint:syscalls:sys_enter_openat { }"
    for (config, errors, warnings) in [("", 0, 1), ("missing_probes = error", 1, 0), ("missing_probes = warn", 0, 1),
                                       ("missing_probes = ignore", 0, 0)] {
      let c = try check("config = { \(config) } \(probes)")
      let found = c.diagnostics.diagnostics
      #expect(found.filter { $0.severity == .error }.count == errors, "\(config): \(found.map(\.message))")
      #expect(found.filter { $0.severity == .warning }.count == warnings, "\(config): \(found.map(\.message))")
    }
    let bad = try check("config = { missing_probes = sometimes } \(probes)")
    #expect(bad.diagnostics.diagnostics.map(\.message) == ["missing_probes must be one of error, warn, ignore"])
  }

  /// Newer bpftrace's keys reach what they change: the object's license, the stack mode of a
  /// kstack without one, a value too large for on_stack_limit going to the scratch map.
  @Test func newerKeysReachWhatTheyChange() throws {
    let text = "config = { license = \"dual bsd/gpl\"; stack_mode = raw; on_stack_limit = 8 } BEGIN { @s[kstack] = count(); $t = (1, 2, 3); }"
    let c = try check(text)
    #expect(!c.diagnostics.hasErrors, "\(c.diagnostics.diagnostics.map(\.message))")
    #expect(c.configuration.license == "Dual BSD/GPL" && c.configuration.stackMode == "raw")
    let compilation = Compilation(source: SourceFile(name: "t.st", text: text), configuration: c.configuration)
    let checked = try compilation.check(try compilation.parse(), in: context)
    #expect(checked.map(named: "@s")?.keyTypes == [.symbol(.kernelStack(StackFormat(mode: .raw)))])
    let ir = try compilation.lower(checked)
    #expect(ir.contains("c\"Dual BSD/GPL\\00\"") && ir.contains("swiftrace_scratch"), "\(ir.prefix(2000))")
    let bad = try check("config = { license = \"MIT\" } BEGIN { exit(); }")
    #expect(bad.diagnostics.diagnostics.map(\.message).first?.hasPrefix("license must be one of GPL, GPL v2") == true)
  }

  @Test func problemsAreLocated() throws {
    let c = try check("config = { max_strln = 16; max_map_keys = \"a\"; cpp_demangle = 3; btf = 1 }\nBEGIN { exit(); }")
    let found = c.diagnostics.sorted.map { (c.source.lineAndColumn(of: $0.range.start).column, $0.message) }
    #expect(found.map(\.0) == [12, 43, 63, 66])
    #expect(found.map(\.1) == [
      "unknown config key 'max_strln'; did you mean 'max_strlen'?",
      "max_map_keys must be a number from 1 to 1073741824 (entries per map)",
      "cpp_demangle must be true or false",
      "btf can only be set by the environment (BPFTRACE_BTF)",
    ])
  }

  /// Newer bpftrace's unstable-feature switches are keys (unstable_tseries = error refuses
  /// tseries()); the switches it retired still parse, with a warning that they do nothing.
  @Test func unstableAndRetiredKeys() throws {
    let ok = try check("config = { unstable_tseries = warn; unstable_dw_ustack = enable; unstable_map_decl = 1; UNSTABLE_MACRO = 1 }\nBEGIN { @t = tseries(1, 1s, 5); exit(); }")
    #expect(!ok.diagnostics.hasErrors)
    #expect(ok.diagnostics.sorted.map(\.message) == ["unstable_map_decl is deprecated and has no effect", "UNSTABLE_MACRO is deprecated and has no effect"])
    #expect(ok.configuration.setting(.unstableTseries, newerSyntax: true) == .text("warn"))
    let refused = try check("config = { unstable_tseries = error }\nBEGIN { @t = tseries(1, 1s, 5); exit(); }")
    #expect(refused.diagnostics.diagnostics.map(\.message) == ["tseries() is refused: the config sets unstable_tseries = error"])
    let bad = try check("config = { unstable_typeinfo = 1 }\nBEGIN { exit(); }")
    #expect(bad.diagnostics.diagnostics.map(\.message) == ["unstable_typeinfo must be one of error, warn, enable"])
  }
}
