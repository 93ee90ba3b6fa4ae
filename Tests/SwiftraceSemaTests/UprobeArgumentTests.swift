import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax
import SwiftraceTestSupport
import Testing

/// A binary's DWARF as the checker sees it: the parameters of `f`, and nothing else.
final class FakeDebugInfo: UserDebugInfo {
  var used: [String] = []
  func use(_ path: String) { used.append(path) }
  func parameters(of function: String, in path: String) -> [(name: String, type: CType)]? {
    guard function == "f" else { return nil }
    let task = FakeKernelTypes.task
    return [("n", .pointer(.integer(bytes: 4, signed: true))), ("c", .integer(bytes: 1, signed: true)),
            ("t", .record(task)), ("a", .integer(bytes: 8, signed: false)), ("b", .integer(bytes: 8, signed: false)),
            ("d", .integer(bytes: 8, signed: false)), ("seventh", .integer(bytes: 8, signed: false))]
  }
}

/// `args->name` in uprobes: typed from the binary's DWARF, read from the argument registers.
@Suite struct UprobeArgumentTests {
  func check(_ text: String, debugInfo: FakeDebugInfo) -> (CheckedProgram, DiagnosticEngine) {
    let source = SourceFile(name: "t.st", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    let program = Parser.parse(source, diagnostics: diagnostics)
    var options = TypeChecker.Options()
    options.userDebugInfo = debugInfo
    let checked = TypeChecker.check(program, source: source, diagnostics: diagnostics,
                                    catalog: TracefsCatalog(roots: [Golden.fixtureTracefs]),
                                    kernelTypes: FakeKernelTypes(), options: options)
    return (checked, diagnostics)
  }

  @Test func argumentsHaveTheirDWARFTypes() {
    let info = FakeDebugInfo()
    let (checked, diagnostics) = check("uprobe:/bin/x:f { @n = *args->n; @c = args->c; }", debugInfo: info)
    #expect(diagnostics.diagnostics.isEmpty, "\(diagnostics.diagnostics)")
    #expect(info.used == ["/bin/x"])
    #expect(checked.map(named: "@n")?.valueType == .int64)
    #expect(checked.map(named: "@c")?.valueType == .int64)
  }

  @Test func unreadableArgumentsAreLocatedErrors() {
    let (_, diagnostics) = check("uprobe:/bin/x:f { @t = args->t; @s = args->seventh; @z = args->zz; }", debugInfo: FakeDebugInfo())
    #expect(diagnostics.diagnostics.map(\.id) == ["sema.argumentByValue", "sema.argumentOnStack", "sema.unknownField"])
    let (_, missing) = check("uprobe:/bin/x:g { @x = args->n; } uretprobe:/bin/x:f { @y = args->n; }", debugInfo: FakeDebugInfo())
    #expect(missing.diagnostics.map(\.id) == ["sema.noDebugInfo", "sema.builtinUnavailable"])
  }
}
