import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax
import Testing

/// Nesting beyond any real script must give one located error, not a stack overflow in the
/// recursive parser, type checker or printer; nesting up to the limit must keep working. Each runs
/// as swiftrace runs its compiler: on a thread with a large stack (`withLargeStack`).
@Suite struct NestingLimitTests {
  static let deep = 50_000

  /// Each case by name (its 50 000-level text would flood the test log).
  static let deepTexts: [String: String] = [
    "parentheses": "BEGIN { @x = " + String(repeating: "(", count: deep) + "1" + String(repeating: ")", count: deep) + "; }",
    "unary operators": "BEGIN { @x = " + String(repeating: "~", count: deep) + "1; }",
    "blocks": "BEGIN { " + String(repeating: "if (1) { ", count: deep) + "@x = 1;" + String(repeating: "}", count: deep) + " }",
    "calls": "BEGIN { @x = " + String(repeating: "str(", count: deep) + "1" + String(repeating: ")", count: deep) + "; }",
    // Chains nest too: each `?:` or `else if` is one level deeper (these overflowed the stack).
    "conditional chain": "BEGIN { @x = " + String(repeating: "0 ? 1 : ", count: deep) + "2; }",
    "else-if chain": "BEGIN { if (pid == 0) { @x = 0; }" + String(repeating: " else if (pid == 1) { @x = 1; }", count: deep) + " }",
  ]

  @Test(arguments: ["parentheses", "unary operators", "blocks", "calls", "conditional chain", "else-if chain"])
  func tooDeepIsOneLocatedError(_ what: String) throws {
    let text = try #require(Self.deepTexts[what])
    let (_, engine) = withLargeStack { check(text) }
    #expect(engine.diagnostics.map(\.id) == ["parse.tooDeep"], "\(what)")
    // The error points at the token where the limit was crossed.
    #expect(engine.diagnostics.first.map { $0.range.start > Parser.maxNesting } == true)
  }

  /// A flat chain of operators is no nesting to the user: thousands of terms are fine, and past
  /// `Parser.maxOperators` the error says the expression is too long.
  @Test func operatorChains() {
    let long = "BEGIN { @x = " + Array(repeating: "1", count: Parser.maxOperators).joined(separator: " + ") + "; }"
    let (program, engine) = withLargeStack { check(long) }
    #expect(engine.diagnostics.isEmpty, "\(engine.diagnostics.first?.message ?? "")")
    #expect(program.probes.count == 1)
    let tooLong = "BEGIN { @x = " + Array(repeating: "1", count: Self.deep).joined(separator: " + ") + "; }"
    let (_, rejected) = withLargeStack { check(tooLong) }
    #expect(rejected.diagnostics.map(\.id) == ["parse.tooLong"])
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
