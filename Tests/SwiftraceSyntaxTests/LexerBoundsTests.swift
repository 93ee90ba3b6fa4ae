import SwiftraceBasics
import SwiftraceSyntax
import Testing

/// Every token and diagnostic lies inside the input, however the input ends (the script fuzzer
/// found an attach point ending in `\` inside quotes, whose token ran one byte past the end).
@Suite struct LexerBoundsTests {
  @Test(arguments: ["uprobe:\"/bin/x\\", "uprobe:\"/bin/x\\\"", "BEGIN { \"a\\", "/*", "#define X \\", "struct s {", "BEGIN { @x = 'a"])
  func diagnosticsStayInside(_ text: String) {
    let source = SourceFile(name: "t", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    _ = Parser.parse(source, diagnostics: diagnostics)
    for d in diagnostics.diagnostics {
      #expect(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= source.bytes.count,
              "\(d.id) at \(d.range) in \(source.bytes.count) bytes")
    }
  }

  /// The syntax of bpftrace 0.18 and later, cut off anywhere: an error inside the input, never a
  /// crash or a silent success.
  @Test(arguments: ["config = {", "config = { a", "config = { a = ", "config = { a = 1", "let @", "let @a = ", "let @a = hash(",
                    "let @a = hash(1", "BEGIN { let $", "BEGIN { let $x: }", "BEGIN { let $x: uint8 = }", "BEGIN { if }",
                    "BEGIN { while {} }"])
  func cutOffNewSyntaxIsAnError(_ text: String) {
    let source = SourceFile(name: "t", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    _ = Parser.parse(source, diagnostics: diagnostics)
    #expect(diagnostics.hasErrors, "\(text)")
    for d in diagnostics.diagnostics {
      #expect(d.range.start >= 0 && d.range.start <= d.range.end && d.range.end <= source.bytes.count, "\(text): \(d.range)")
    }
  }
}
