import Foundation

/// Golden cases: `Tests/Golden/<suite>/<case>.st` files, each with expected output beside it.
/// Found through `#filePath`, so no resource copying is needed.
public enum Golden {
  public static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  public static let repositoryRoot = testsDirectory.deletingLastPathComponent()
  public static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
  /// Tracepoint formats copied from a kernel, so type tests need no tracefs.
  public static let fixtureTracefs = fixtures.appendingPathComponent("tracefs").path

  /// Case names of a suite (file names without `.st`), sorted.
  public static func cases(_ suite: String) -> [String] {
    let dir = testsDirectory.appendingPathComponent("Golden/\(suite)")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return files.filter { $0.hasSuffix(".st") }.map { String($0.dropLast(3)) }.sorted()
  }

  public static func path(_ suite: String, _ name: String, _ ext: String) -> URL {
    testsDirectory.appendingPathComponent("Golden/\(suite)/\(name).\(ext)")
  }

  public static func read(_ suite: String, _ name: String, _ ext: String) -> String? {
    try? String(contentsOf: path(suite, name, ext), encoding: .utf8)
  }

  /// Compares `actual` with the expected file. With SWIFTRACE_UPDATE_GOLDEN=1 (or a value naming
  /// this suite or case) it rewrites the file and reports that as a failure, so an update run is
  /// never green. Returns a failure message, or nil.
  public static func compare(_ actual: String, suite: String, name: String, ext: String) -> String? {
    let url = path(suite, name, ext)
    let expected = try? String(contentsOf: url, encoding: .utf8)
    let normalizedActual = normalize(actual)
    if let expected, normalize(expected) == normalizedActual { return nil }
    if let update = ProcessInfo.processInfo.environment["SWIFTRACE_UPDATE_GOLDEN"],
      update == "1" || update == suite || update == name {
      try? normalizedActual.write(to: url, atomically: true, encoding: .utf8)
      return "recorded new expected output in \(url.path); review it and run again"
    }
    guard let expected else {
      return "missing \(url.path); record it with SWIFTRACE_UPDATE_GOLDEN=\(name) swift test --filter Golden"
    }
    return "\(url.path) differs:\n" + diff(normalize(expected), normalizedActual)
      + "\nupdate with SWIFTRACE_UPDATE_GOLDEN=\(name) swift test --filter Golden"
  }

  static func normalize(_ s: String) -> String {
    var t = s.replacingOccurrences(of: "\r\n", with: "\n")
    while t.hasSuffix("\n\n") { t.removeLast() }
    if !t.isEmpty && !t.hasSuffix("\n") { t += "\n" }
    return t
  }

  /// A small line diff: `-` expected, `+` actual.
  public static func diff(_ expected: String, _ actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let diff = b.difference(from: a)
    var lines: [String] = []
    for change in diff {
      switch change {
      case .remove(let offset, let line, _): lines.append("-\(offset + 1): \(line)")
      case .insert(let offset, let line, _): lines.append("+\(offset + 1): \(line)")
      }
    }
    return lines.joined(separator: "\n")
  }
}

/// Expected diagnostics written in a script: `// error: text` applies to its own line,
/// `// error@+1: text` to the next one. Matching is by line and substring.
public struct InlineExpectation: Equatable, CustomStringConvertible {
  public var line: Int
  public var severity: String
  public var text: String

  public var description: String { "line \(line): \(severity): \(text)" }

  public static func parse(_ source: String) -> [InlineExpectation] {
    var result: [InlineExpectation] = []
    for (i, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      guard let range = line.range(of: "// ") else { continue }
      var comment = line[range.upperBound...]
      for severity in ["error", "warning", "note"] where comment.hasPrefix(severity) {
        comment = comment.dropFirst(severity.count)
        var offset = 0
        if comment.hasPrefix("@") {
          let number = comment.dropFirst().prefix { $0 == "+" || $0 == "-" || $0.isNumber }
          offset = Int(number) ?? 0
          comment = comment.dropFirst(1 + number.count)
        }
        guard comment.hasPrefix(":") else { continue }
        let text = comment.dropFirst().trimmingCharacters(in: .whitespaces)
        result.append(InlineExpectation(line: i + 1 + offset, severity: severity, text: text))
      }
    }
    return result
  }
}

/// Runs a program and captures its output.
public struct ProcessResult {
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

/// A child that outlived its time limit; it was stopped with SIGINT, then SIGKILL.
public struct ProcessTimeout: Error, CustomStringConvertible {
  public var command: [String]
  public var seconds: Double
  public var stdout: String
  public var stderr: String
  public var description: String {
    "timed out after \(Int(seconds)) s: \(command.joined(separator: " "))\nstdout:\n\(stdout)\nstderr:\n\(stderr)"
  }
}

/// Runs `executable` to completion, or at most `timeout` seconds. Both output streams go to files,
/// not pipes: a grandchild that keeps a pipe open (the `-c` command of a tracer that was killed)
/// would otherwise block the reader forever, and a hung test run is worse than a failed one.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       currentDirectory: URL? = nil, timeout: Double = 60) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  var env = ProcessInfo.processInfo.environment
  env.merge(environment) { _, new in new }
  process.environment = env
  if let currentDirectory { process.currentDirectoryURL = currentDirectory }
  let tmp = FileManager.default.temporaryDirectory
  let outURL = tmp.appendingPathComponent("swiftrace-test-\(UUID().uuidString).out")
  let errURL = tmp.appendingPathComponent("swiftrace-test-\(UUID().uuidString).err")
  for url in [outURL, errURL] { FileManager.default.createFile(atPath: url.path, contents: nil) }
  defer { for url in [outURL, errURL] { try? FileManager.default.removeItem(at: url) } }
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  let exited = DispatchSemaphore(value: 0)
  process.terminationHandler = { _ in exited.signal() }
  try process.run()
  var timedOut = false
  if exited.wait(timeout: .now() + timeout) == .timedOut {
    timedOut = true
    kill(process.processIdentifier, SIGINT)
    if exited.wait(timeout: .now() + 5) == .timedOut {
      kill(process.processIdentifier, SIGKILL)
      exited.wait()
    }
  }
  try out.close()
  try err.close()
  let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
  let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
  if timedOut {
    throw ProcessTimeout(command: [executable] + arguments, seconds: timeout, stdout: stdout, stderr: stderr)
  }
  return ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// The swiftrace executable built next to the test bundle.
public var swiftraceExecutable: String {
  let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for candidate in [dir, dir.deletingLastPathComponent()] {
    let path = candidate.appendingPathComponent("swiftrace").path
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return Golden.repositoryRoot.appendingPathComponent(".build/debug/swiftrace").path
}

public var isRoot: Bool { geteuid() == 0 }
