import Foundation
import SwiftraceTestSupport
import Testing

/// Every ```swiftrace example in Docs/Language.md runs and prints its ```output block.
@Suite(.serialized, .needsRoot) struct LanguageDocTests {
  struct Example: CustomTestStringConvertible, Sendable {
    let line: Int
    let program: String
    let output: String
    var testDescription: String { "Language.md:\(line)" }
  }

  static let examples: [Example] = {
    let path = Golden.repositoryRoot.appendingPathComponent("Docs/Language.md").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.components(separatedBy: "\n")
    var result: [Example] = []
    var i = 0
    func block(from start: Int) -> (String, Int) {
      var j = start
      var body: [String] = []
      while j < lines.count && lines[j] != "```" {
        body.append(lines[j])
        j += 1
      }
      return (body.joined(separator: "\n"), j + 1)
    }
    while i < lines.count {
      if lines[i] == "```swiftrace" {
        let start = i + 1
        let (program, next) = block(from: start)
        if next < lines.count && lines[next] == "```output" {
          let (output, after) = block(from: next + 1)
          result.append(Example(line: start, program: program, output: output))
          i = after
          continue
        }
        i = next
        continue
      }
      i += 1
    }
    return result
  }()

  @Test func documentHasExamples() { #expect(Self.examples.count >= 10) }

  @Test(arguments: examples)
  func example(_ example: Example) throws {
    guard isRoot else { try Test.cancel("running examples loads BPF programs and needs root") }
    let result = try runProcess(swiftraceExecutable, ["-q", "-e", example.program])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = example.output + "\n"
    if result.stdout != expected {
      Issue.record("Docs/Language.md:\(example.line): output differs (- documented, + actual):\n\(Golden.diff(expected, result.stdout))")
    }
  }
}
