import Foundation
import SwiftraceBasics
import SwiftraceSyntax
import SwiftraceTestSupport
import Testing

/// `--fmt`: `Tests/Golden/format/*.st` formatted as their `.fmt` files say, and every script of
/// the repository (examples and golden cases that parse) formatted to a script with the same AST
/// (angle blocks become braces) that formatting leaves as it is.
@Suite struct FormatterTests {
  func format(_ text: String, name: String = "t.st") -> String? {
    let source = SourceFile(name: name, text: text)
    return Formatter.format(source, diagnostics: DiagnosticEngine(source: source))
  }

  func ast(_ text: String) -> String {
    let source = SourceFile(name: "t.st", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    return ASTPrinter.print(Parser.parse(source, diagnostics: diagnostics))
  }

  @Test(arguments: Golden.cases("format"))
  func golden(_ name: String) throws {
    let text = try #require(Golden.read("format", name, "st"))
    let formatted = try #require(format(text, name: "\(name).st"))
    if let failure = Golden.compare(formatted, suite: "format", name: name, ext: "fmt") { Issue.record("\(failure)") }
  }

  @Test func everyScriptKeepsItsMeaningAndFormatsOnce() throws {
    var scripts: [URL] = []
    for directory in ["examples", "Tests/Golden/runtime", "Tests/Golden/differential", "Tests/Golden/parse",
                      "Tests/Golden/types", "Tests/Golden/format"] {
      let url = Golden.repositoryRoot.appendingPathComponent(directory)
      for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".st") {
        scripts.append(url.appendingPathComponent(file))
      }
    }
    #expect(scripts.count > 100)
    var formattedCount = 0
    for url in scripts {
      // The runtime cases' placeholders stand for paths.
      let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "{{uprobe_target}}", with: "/bin/true")
        .replacingOccurrences(of: "{{cpp_target}}", with: "/bin/true")
      guard let once = format(text) else { continue }  // a case of syntax errors
      formattedCount += 1
      #expect(format(once) == once, "\(url.lastPathComponent): formatting twice changes it")
      let before = ast(text).replacingOccurrences(of: " <>\n", with: " {}\n")
      #expect(ast(once) == before, "\(url.lastPathComponent): the formatted script means something else:\n\(once)")
    }
    #expect(formattedCount > 100)
  }

  @Test func scriptsThatDoNotParseAreNotFormatted() {
    let source = SourceFile(name: "t.st", text: "BEGIN { @x = ; }")
    let diagnostics = DiagnosticEngine(source: source)
    #expect(Formatter.format(source, diagnostics: diagnostics) == nil)
    #expect(diagnostics.hasErrors)
  }
}
