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

  /// ```swiftrace verify blocks: examples that need what a test cannot give (a -c command, a
  /// signal, a traced program, or a kernel feature this machine may lack). Each compiles and
  /// passes the verifier (`--dry-run`), or this kernel refuses what it needs, which is a skip.
  static let verifiedExamples: [Example] = {
    let path = Golden.repositoryRoot.appendingPathComponent("Docs/Language.md").path
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.components(separatedBy: "\n")
    var result: [Example] = []
    var i = 0
    while i < lines.count {
      guard lines[i] == "```swiftrace verify" else {
        i += 1
        continue
      }
      var j = i + 1
      while j < lines.count && lines[j] != "```" { j += 1 }
      result.append(Example(line: i + 2, program: lines[(i + 1)..<j].joined(separator: "\n"), output: ""))
      i = j + 1
    }
    return result
  }()

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
