import Foundation
import SwiftraceTestSupport
import Testing

/// Every ```swiftrace example in Docs/Language.md runs and prints its ```output block; every
/// ```swiftrace verify example compiles and passes the verifier.
@Suite(.serialized, .needsRoot) struct LanguageDocTests {
  struct Example: CustomTestStringConvertible, Sendable {
    let line: Int
    let program: String
    let output: String
    var testDescription: String { "Language.md:\(line)" }
  }

  /// Docs/Language.md's fenced blocks in order: the word after the opening fence, the line of
  /// the block's first line, its text.
  static let blocks: [(info: String, line: Int, text: String)] = {
    let path = Golden.repositoryRoot.appendingPathComponent("Docs/Language.md").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.components(separatedBy: "\n")
    var result: [(info: String, line: Int, text: String)] = []
    var i = 0
    while i < lines.count {
      guard lines[i].hasPrefix("```") else {
        i += 1
        continue
      }
      var j = i + 1
      while j < lines.count && lines[j] != "```" { j += 1 }
      result.append((String(lines[i].dropFirst(3)), i + 2, lines[(i + 1)..<min(j, lines.count)].joined(separator: "\n")))
      i = j + 1
    }
    return result
  }()

  /// ```swiftrace blocks followed by their ```output.
  static let examples: [Example] = zip(blocks, blocks.dropFirst()).compactMap { block, next in
    block.info == "swiftrace" && next.info == "output" ? Example(line: block.line, program: block.text, output: next.text) : nil
  }

  /// ```swiftrace verify blocks: examples that need what a test cannot give (a -c command, a
  /// signal, a traced program, or a kernel feature this machine may lack). Each compiles and
  /// passes the verifier (`--dry-run`), or this kernel refuses what it needs, which is a skip.
  static let verifiedExamples: [Example] = blocks.filter { $0.info == "swiftrace verify" }.map {
    Example(line: $0.line, program: $0.text, output: "")
  }

  /// What this kernel lacks, as swiftrace says it (kprobes, fentry, kallsyms' variables, lockdown).
  static let platformRefusals = [
    "this kernel refuses to load kfunc/kretfunc", "this kernel has no kprobe support", "CONFIG_KALLSYMS_ALL",
    "which this kernel refuses",
  ]

  @Test func documentHasExamples() {
    #expect(Self.examples.count >= 10)
    #expect(Self.verifiedExamples.count >= 5)
  }

  /// One test over all of them, so that examples this kernel cannot load make it a skip that names
  /// them (a cancelled case of a parameterized test is reported as passed).
  @Test func verifiedExamplesPassTheVerifier() throws {
    guard isRoot else { try Test.cancel("verifying examples loads BPF programs and needs root") }
    var refused: [String] = []
    for example in Self.verifiedExamples {
      let result = try runProcess(swiftraceExecutable, ["--dry-run", "--unsafe", "-e", example.program])
      if result.status == 0 { continue }
      if result.status == 1, let refusal = Self.platformRefusals.first(where: result.stderr.contains) {
        refused.append("line \(example.line) (\(refusal))")
      } else {
        Issue.record("Docs/Language.md:\(example.line): status \(result.status): \(result.stderr)")
      }
    }
    if !refused.isEmpty {
      try Test.cancel("\(Self.verifiedExamples.count - refused.count) of \(Self.verifiedExamples.count) verified; this kernel lacks what the others need: \(refused.joined(separator: ", "))")
    }
  }

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
