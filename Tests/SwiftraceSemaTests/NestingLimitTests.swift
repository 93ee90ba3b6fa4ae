import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax
import Testing

/// Nesting beyond any real script must give one located error, not a stack overflow in the
/// recursive parser, type checker or printer; nesting up to the limit must keep working.
@Suite struct NestingLimitTests {
  static let deep = 50_000

  /// Each case by name (its 50 000-level text would flood the test log).
  static let deepTexts: [String: String] = [
    "parentheses": "BEGIN { @x = " + String(repeating: "(", count: deep) + "1" + String(repeating: ")", count: deep) + "; }",
    "unary operators": "BEGIN { @x = " + String(repeating: "~", count: deep) + "1; }",
    "operator chain": "BEGIN { @x = " + Array(repeating: "1", count: deep).joined(separator: " + ") + "; }",
    "blocks": "BEGIN { " + String(repeating: "if (1) { ", count: deep) + "@x = 1;" + String(repeating: "}", count: deep) + " }",
    "calls": "BEGIN { @x = " + String(repeating: "str(", count: deep) + "1" + String(repeating: ")", count: deep) + "; }",
  ]

  @Test(arguments: ["parentheses", "unary operators", "operator chain", "blocks", "calls"])
  func tooDeepIsOneLocatedError(_ what: String) throws {
    let (_, engine) = check(try #require(Self.deepTexts[what]))
    #expect(engine.diagnostics.map(\.id) == ["parse.tooDeep"], "\(what)")
    // The error points at the token where the limit was crossed.
    #expect(engine.diagnostics.first.map { $0.range.start > Parser.maxNesting } == true)
  }

  @Test func nestingBelowTheLimitChecks() {
    let n = Parser.maxNesting / 3
    let text = "BEGIN { @x = " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + " + "
      + Array(repeating: "1", count: n).joined(separator: " + ") + "; "
      + String(repeating: "if (1) { ", count: n) + "@y = 1;" + String(repeating: "}", count: n) + " }"
    let (program, engine) = check(text)
    #expect(engine.diagnostics.isEmpty)
    #expect(program.probes.count == 1)
  }
}
