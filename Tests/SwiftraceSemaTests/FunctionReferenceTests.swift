import Foundation
import SwiftraceSema
import Testing

/// Docs/Language.md's function reference is the declarations in Builtins.swift, word for word:
/// a function added, renamed or described anew changes the table or fails here.
@Suite struct FunctionReferenceTests {
  static let begin = "<!-- function reference: generated from Function (Sources/SwiftraceSema/Builtins.swift) -->\n"
  static let end = "<!-- end of function reference -->"

  @Test func languageDocumentListsEveryFunction() throws {
    let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Docs/Language.md")
    let text = try String(contentsOf: doc, encoding: .utf8)
    let start = try #require(text.range(of: Self.begin), "Docs/Language.md has no function reference")
    let stop = try #require(text.range(of: Self.end, range: start.upperBound..<text.endIndex))
    let table = String(text[start.upperBound..<stop.lowerBound])
    #expect(table == Function.referenceTable, "Docs/Language.md's function reference differs; it should be:\n\(Function.referenceTable)")
  }

  @Test func everyFunctionHasItsDeclaration() {
    for f in Function.allCases {
      #expect(!f.summary.isEmpty && f.signature.hasPrefix(f.rawValue + "("), "\(f)")
    }
  }

  @Test func aggregationsAreTheFunctionsOfThatRole() {
    for f in Function.allCases {
      #expect((f.role == .aggregation) == (f.aggregation != nil), "\(f)")
    }
  }

  /// A function declared `.typed` is checked by that rule alone: its count and its arguments'
  /// kinds, then its value has the declared type, with no case of its own in the checker. (In
  /// BEGIN: functions placed in some probe types only are checked there by their own tests.)
  @Test func typedFunctionsAreCheckedByTheirDeclaration() throws {
    let typed = Function.allCases.compactMap { f -> (Function, [ArgumentKind], SType)? in
      guard case .anywhere = f.placement else { return nil }
      if case .typed(let kinds, let result) = f.rule { return (f, kinds, result) }
      return nil
    }
    #expect(!typed.isEmpty)
    for (f, kinds, result) in typed {
      let good = kinds.map { $0 == .integer ? "1" : "\"s\"" }.joined(separator: ", ")
      let (checked, diagnostics) = check("BEGIN { @v = \(f.rawValue)(\(good)); }")
      #expect(!diagnostics.hasErrors, "\(f): \(diagnostics.diagnostics.map(\.message))")
      #expect(checked.map(named: "@v")?.valueType == result, "\(f)")
      let (_, few) = check("BEGIN { @v = \(f.rawValue)(); }")
      #expect(few.diagnostics.map(\.message) == ["\(f.rawValue)() takes \(kinds.count) argument\(kinds.count == 1 ? "" : "s"): \(f.signature)"])
      let wrong = kinds.map { $0 == .integer ? "\"s\"" : "1" }.joined(separator: ", ")
      let (_, bad) = check("BEGIN { @v = \(f.rawValue)(\(wrong)); }")
      let expected = kinds[0] == .integer ? "an integer, not string[2]" : "a string, not int64"
      #expect(bad.diagnostics.map(\.message) == ["\(f.rawValue)() expects \(expected)"], "\(f)")
    }
  }
}
