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
}
