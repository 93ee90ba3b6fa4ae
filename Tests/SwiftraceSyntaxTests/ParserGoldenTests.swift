import SwiftraceBasics
import SwiftraceSyntax
import SwiftraceTestSupport
import Testing

/// `Tests/Golden/parse/*.st`: the AST dump, followed by the rendered syntax errors if any.
@Suite struct ParserGoldenTests {
  @Test(arguments: Golden.cases("parse"))
  func parse(_ name: String) throws {
    let text = try #require(Golden.read("parse", name, "st"))
    let source = SourceFile(name: "\(name).st", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    let program = Parser.parse(source, diagnostics: diagnostics)
    let output = ASTPrinter.print(program) + DiagnosticRenderer(source: source).render(diagnostics.sorted)
    if let failure = Golden.compare(output, suite: "parse", name: name, ext: "ast") { Issue.record("\(failure)") }
  }
}
