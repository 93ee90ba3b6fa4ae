import SwiftraceBasics
import Testing

@Suite struct DiagnosticRendererTests {
  @Test func rendersFileLineColumnAndRange() {
    let source = SourceFile(name: "trace.st", text: "BEGIN {\n  @x = nope;\n}\n")
    let d = Diagnostic(.error, id: "test", "unknown identifier 'nope'", at: SourceRange(start: 15, end: 19))
    #expect(DiagnosticRenderer(source: source).render(d) == """
      trace.st:2:8: ERROR: unknown identifier 'nope'
       2 |   @x = nope;
         |        ^~~~

      """)
  }

  @Test func columnsCountCharactersAndTabsExpand() {
    let source = SourceFile(name: "<command-line>", text: "\tBEGIN { \"é\" + x }")
    let offset = Array(source.text.utf8).firstIndex(of: UInt8(ascii: "x"))!
    #expect(source.lineAndColumn(of: offset) == (1, 16))
    let d = Diagnostic(.error, id: "test", "m", at: SourceRange(start: offset, end: offset + 1))
    // The tab expands to 8 columns: 8 + 14 characters come before the caret.
    #expect(DiagnosticRenderer(source: source).render(d).hasSuffix("| " + String(repeating: " ", count: 22) + "^\n"))
  }

  @Test func notesFollowTheirError() {
    let source = SourceFile(name: "f", text: "a\nb\n")
    let d = Diagnostic(.error, id: "t", "second", at: SourceRange(start: 2, end: 3),
                       notes: [.init("first here", at: SourceRange(start: 0, end: 1))])
    let text = DiagnosticRenderer(source: source).render(d)
    #expect(text.contains("f:2:1: ERROR: second"))
    #expect(text.contains("f:1:1: NOTE: first here"))
  }

  @Test func sortedDiagnosticsFollowSourceOrder() {
    let engine = DiagnosticEngine(source: SourceFile(name: "f", text: "abcdef"))
    engine.error("b", "later", at: SourceRange(start: 4, end: 5))
    engine.error("a", "earlier", at: SourceRange(start: 1, end: 2))
    #expect(engine.sorted.map(\.id) == ["a", "b"])
  }
}
