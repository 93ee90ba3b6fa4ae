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

  /// A long line shows as a window around the caret; many problems stop at 20 and a count.
  @Test func longLinesAndManyProblemsStayReadable() {
    let line = String(repeating: "a", count: 1000) + "BAD" + String(repeating: "b", count: 1000)
    let source = SourceFile(name: "f", text: line)
    let d = Diagnostic(.error, id: "t", "bad", at: SourceRange(start: 1000, end: 1003))
    let lines = DiagnosticRenderer(source: source).render(d).split(separator: "\n")
    #expect(lines.count == 3 && lines.allSatisfy { $0.count < DiagnosticRenderer.widestLine + 20 }, "\(lines)")
    let caret = lines[2].distance(from: lines[2].startIndex, to: lines[2].firstIndex(of: "^")!)
    #expect(lines[1].dropFirst(caret).hasPrefix("BAD") && lines[2].dropFirst(caret) == "^~~", "\(lines)")
    let many = (0..<30).map { Diagnostic(.error, id: "t", "n\($0)", at: SourceRange(start: $0, end: $0 + 1)) }
    let text = DiagnosticRenderer(source: source).render(many)
    #expect(text.split(separator: "\n").filter { $0.contains("ERROR: n") }.count == 20)
    #expect(text.hasSuffix("ERROR: 10 more problems not shown (the first 20 are above)\n"))
  }

  @Test func sortedDiagnosticsFollowSourceOrder() {
    let engine = DiagnosticEngine(source: SourceFile(name: "f", text: "abcdef"))
    engine.error(.parseExpected, "later", at: SourceRange(start: 4, end: 5))
    engine.error(.lexInvalidCharacter, "earlier", at: SourceRange(start: 1, end: 2))
    #expect(engine.sorted.map(\.id) == ["lex.invalidCharacter", "parse.expected"])
  }
}
