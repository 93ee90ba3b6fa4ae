import Foundation
import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax
import SwiftraceTestSupport
import Testing

func check(_ text: String, name: String = "t.st", parameters: [String] = [],
           childCommand: Bool = true) -> (CheckedProgram, DiagnosticEngine) {
  let source = SourceFile(name: name, text: text)
  let diagnostics = DiagnosticEngine(source: source)
  let program = Parser.parse(source, diagnostics: diagnostics)
  var options = TypeChecker.Options()
  options.positionalParameters = parameters
  options.hasChildCommand = childCommand
  let checked = TypeChecker.check(program, source: source, diagnostics: diagnostics,
                                  catalog: TracefsCatalog(roots: [Golden.fixtureTracefs]),
                                  kernelTypes: FakeKernelTypes(), options: options)
  return (checked, diagnostics)
}

/// `Tests/Golden/types/*.st`: the `--dump=types` output.
@Suite struct TypeGoldenTests {
  @Test(arguments: Golden.cases("types"))
  func types(_ name: String) throws {
    let text = try #require(Golden.read("types", name, "st"))
    let (checked, diagnostics) = check(text, name: "\(name).st", parameters: ["7", "hello"])
    let rendered = DiagnosticRenderer(source: checked.source).render(diagnostics.sorted)
    #expect(rendered.isEmpty, "\(rendered)")
    if let failure = Golden.compare(TypeDump.print(checked), suite: "types", name: name, ext: "types") {
      Issue.record("\(failure)")
    }
  }
}

/// `Tests/Golden/errors/*.st`: every diagnostic must be expected by a `// error: ...` comment on
/// its line, and every such comment must be matched.
@Suite struct InlineDiagnosticTests {
  @Test(arguments: Golden.cases("errors"))
  func diagnostics(_ name: String) throws {
    let text = try #require(Golden.read("errors", name, "st"))
    let (checked, diagnostics) = check(text, name: "\(name).st", childCommand: false)
    var expected = InlineExpectation.parse(text)
    #expect(!expected.isEmpty, "an errors case must expect at least one diagnostic")
    for d in diagnostics.sorted {
      let (line, column) = checked.source.lineAndColumn(of: d.range.start)
      if let i = expected.firstIndex(where: { $0.line == line && $0.severity == d.severity.rawValue && d.message.contains($0.text) }) {
        expected.remove(at: i)
      } else {
        Issue.record("\(name).st:\(line):\(column): unexpected \(d.severity.rawValue): \(d.message)")
      }
    }
    for e in expected { Issue.record("\(name).st:\(e.line): missing \(e.severity): \(e.text)") }
  }
}

@Suite struct MapTypeTests {
  @Test func mapTypesAreSolvedAcrossProbes() {
    // @b is read in the first probe and only assigned in the second.
    let (checked, diagnostics) = check("BEGIN { @a = @b + 1 } END { @b = \"x\" ; @b = \"longer\" }")
    #expect(diagnostics.diagnostics.contains { $0.message.contains("'+' needs integer operands") })
    #expect(checked.map(named: "@b")?.valueType == .string(size: 7))
  }

  @Test func conflictingMapValuesPointAtFirstAssignment() {
    let (_, diagnostics) = check("BEGIN { @x = 1; }\nEND { @x = \"s\"; }")
    let d = diagnostics.diagnostics.first { $0.id == "sema.mapValueType" }
    #expect(d?.notes.first?.message.contains("first assigned here") == true)
  }

  @Test func aggregationsPickPerCPUStorage() {
    let (checked, diagnostics) = check("BEGIN { @c = count(); @k[pid] = sum(1); @v[1] = 2; }")
    #expect(diagnostics.diagnostics.isEmpty)
    #expect(checked.map(named: "@c")?.storage == .perCPUArray)
    #expect(checked.map(named: "@k")?.storage == .perCPUHash)
    #expect(checked.map(named: "@v")?.storage == .hash)
  }

  @Test func probeKindsAndAliases() throws {
    #expect(try ProbeKind.parse("t:syscalls:sys_enter_openat").get() == .tracepoint(category: "syscalls", event: "sys_enter_openat"))
    #expect(try ProbeKind.parse("interval:ms:100").get() == .interval(frequency: nil, nanoseconds: 100_000_000))
    #expect(try ProbeKind.parse("i:hz:50").get() == .interval(frequency: 50, nanoseconds: nil))
    #expect(ProbeKind.interval(frequency: 50, nanoseconds: nil).name == "interval:hz:50")
    #expect(try ProbeKind.parse("profile:hz:99").get() == .profile(frequency: 99, nanoseconds: nil))
    #expect(try ProbeKind.parse("ur:/bin/bash:readline").get() == .uretprobe(binary: "/bin/bash", function: "readline"))
    // A module before the function (bpftrace 0.18 and later) narrows the search only.
    #expect(try ProbeKind.parse("kprobe:ext4:ext4_file_open").get() == .kprobe(function: "ext4_file_open", module: "ext4"))
    #expect(try ProbeKind.parse("kretprobe:vmlinux:vfs_read").get() == .kretprobe(function: "vfs_read", module: "vmlinux"))
    #expect(ProbeKind.kprobe(function: "f", module: "m").name == "kprobe:m:f")
    #expect(throws: ProbeParseError.self) { try ProbeKind.parse("kprobe").get() }
    // Functions of running BPF programs (bpftrace 0.21 and later): by program id, or in every one.
    #expect(try ProbeKind.parse("fentry:bpf:42:handler").get() == .bpfFunction(programID: 42, function: "handler", isReturn: false))
    #expect(try ProbeKind.parse("fexit:bpf:handler").get() == .bpfFunction(programID: nil, function: "handler", isReturn: true))
    #expect(try ProbeKind.parse("fentry:bpf:*:h*").get() == .bpfFunction(programID: nil, function: "h*", isReturn: false))
    #expect(ProbeKind.bpfFunction(programID: 7, function: "f", isReturn: true).name == "kretfunc:bpf:7:f")
    #expect(throws: ProbeParseError.self) { try ProbeKind.parse("fentry:bpf:seven:f").get() }
  }

  /// bpftrace 0.18 and later: provider names in any case; aliases keep theirs (`U` is usdt).
  @Test func providerNamesInAnyCase() throws {
    #expect(try ProbeKind.parse("begin").get() == .begin)
    #expect(try ProbeKind.parse("End").get() == .end)
    #expect(try ProbeKind.parse("TRACEPOINT:a:b").get() == .tracepoint(category: "a", event: "b"))
    #expect(try ProbeKind.parse("begin").get().name == "BEGIN")
    #expect(Provider(spelling: "U") == .usdt)
    #expect(Provider(spelling: "u") == .uprobe)
    #expect(Provider(spelling: "T") == nil)
  }

  /// bpftrace 0.18 and later: `interval:1s` is `interval:s:1`; a bare count is nanoseconds.
  @Test func timersTakeDurations() throws {
    #expect(try ProbeKind.parse("interval:1s").get() == .interval(frequency: nil, nanoseconds: 1_000_000_000))
    #expect(try ProbeKind.parse("i:100ms").get() == .interval(frequency: nil, nanoseconds: 100_000_000))
    #expect(try ProbeKind.parse("p:2_000us").get() == .profile(frequency: nil, nanoseconds: 2_000_000))
    #expect(try ProbeKind.parse("interval:1m").get() == .interval(frequency: nil, nanoseconds: 60_000_000_000))
    #expect(try ProbeKind.parse("interval:5").get() == .interval(frequency: nil, nanoseconds: 5))
    #expect(try ProbeKind.parse("interval:1s").get().name == "interval:s:1")
    for bad in ["interval:1x", "interval:0s", "interval:s", "interval:999999999999d", "profile:_1s"] {
      #expect(throws: ProbeParseError.self, "\(bad)") { try ProbeKind.parse(bad).get() }
    }
  }

  @Test func printfFormats() throws {
    let f = try PrintfFormat.parse("%-5d|%05lu %s %%").get()
    #expect(f.conversions.map(\.specifier) == ["d", "u", "s"])
    #expect(f.conversions[0].flags == "-" && f.conversions[0].width == 5)
    #expect(f.conversions[1].length == "l")
    #expect(throws: PrintfFormatError.self) { try PrintfFormat.parse("%y").get() }
  }
}
