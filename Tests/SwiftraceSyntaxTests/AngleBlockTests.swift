import SwiftraceBasics
import SwiftraceSyntax
import Testing

/// The `< >` block spelling: where `>` ends the block and where it compares.
@Suite struct AngleBlockTests {
  func parse(_ text: String) -> (String, [Diagnostic]) {
    let source = SourceFile(name: "t", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    let program = Parser.parse(source, diagnostics: diagnostics)
    return (ASTPrinter.print(program), diagnostics.diagnostics)
  }

  @Test func missionExampleParses() {
    let (ast, diags) = parse("kprobe:do_sys_open < @[comm]=count() >")
    #expect(diags.isEmpty)
    #expect(ast == """
      Program
       probe kprobe:do_sys_open <>
        =
         map @
          builtin comm
         call count

      """)
  }

  @Test(arguments: [
    // `>` followed by an operand compares; the last `>` closes.
    ("BEGIN < @x = pid > 1 >", "binary >"),
    // Inside parentheses `>` always compares.
    ("BEGIN < if (pid > 1) { @x = count(); } >", "binary >"),
    // Inside a brace block nested in an angle block, too.
    ("BEGIN < if (1) { @y = pid > 2; } >", "binary >"),
    // `>=` and `>>` are their own tokens.
    ("BEGIN < @x = pid >= 1 >", "binary >="),
    ("BEGIN < @x = pid >> 1 >", "binary >>"),
  ])
  func greaterThanInsideAngleBlock(_ text: String, _ expected: String) {
    let (ast, diags) = parse(text)
    #expect(diags.isEmpty, "\(diags)")
    #expect(ast.contains(expected))
  }

  @Test func angleBlockEndsBeforeNextProbe() {
    let (ast, diags) = parse("BEGIN < @x = 1 > END < @y = 2 > tracepoint:a:b { @z = 3 }")
    #expect(diags.isEmpty, "\(diags)")
    #expect(ast.components(separatedBy: "probe ").count == 4)
  }

  @Test func greaterThanBeforeAProbeNameClosesTheBlock() {
    // `kprobe:f` after `>` starts a probe, it is not an operand.
    let (ast, diags) = parse("BEGIN < @x = 1 > kprobe:f < @y = 2 >")
    #expect(diags.isEmpty, "\(diags)")
    #expect(ast.contains("probe kprobe:f <>"))
  }

  @Test func unterminatedAngleBlockIsAnError() {
    let (_, diags) = parse("BEGIN < @x = 1")
    #expect(diags.contains { $0.message.contains("expected '>'") })
  }
}
