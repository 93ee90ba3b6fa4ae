import Foundation
import SwiftraceBasics
import Testing

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

  /// A file's text, bytes that are not UTF-8 kept (RawBytes), as outputs are read.
  public static func read(_ suite: String, _ name: String, _ ext: String) -> String? {
    (try? Data(contentsOf: path(suite, name, ext))).map { String(rawBytes: $0) }
  }

  /// Compares `actual` with the expected file. With SWIFTRACE_UPDATE_GOLDEN=1 (or a value naming
  /// this suite or case) it rewrites the file and reports that as a failure, so an update run is
  /// never green. Returns a failure message, or nil.
  public static func compare(_ actual: String, suite: String, name: String, ext: String) -> String? {
    let url = path(suite, name, ext)
    let expected = (try? Data(contentsOf: url)).map { String(rawBytes: $0) }
    let normalizedActual = normalize(actual)
    if let expected, normalize(expected) == normalizedActual { return nil }
    if let update = ProcessInfo.processInfo.environment["SWIFTRACE_UPDATE_GOLDEN"],
      update == "1" || update == suite || update == name {
      try? Data(normalizedActual.rawBytes).write(to: url, options: .atomic)
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

/// Runs `executable` to completion, or at most `timeout` seconds; with `interruptAfter`, sends it
/// `signal` (SIGINT: as a user pressing Ctrl-C would) after that many seconds, and with
/// `inspectAfter`, calls `inspect` with its pid once, after that many seconds, while it runs. Both output streams go to files,
/// not pipes: a grandchild that keeps a pipe open (the `-c` command of a tracer that was killed)
/// would otherwise block the reader forever, and a hung test run is worse than a failed one.
/// The child starts with no signals blocked: the test runner's threads block some, and a blocked
/// SIGINT is inherited through exec (bpftrace never unblocks it).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       currentDirectory: URL? = nil, timeout: Double = 60,
                       interruptAfter: Double? = nil, signal: Int32 = SIGINT,
                       inspectAfter: Double? = nil, inspect: (pid_t) -> Void = { _ in }) throws -> ProcessResult {
  var env = ProcessInfo.processInfo.environment
  env.merge(environment) { _, new in new }
  let tmp = FileManager.default.temporaryDirectory
  let outPath = tmp.appendingPathComponent("swiftrace-test-\(UUID().uuidString).out").path
  let errPath = tmp.appendingPathComponent("swiftrace-test-\(UUID().uuidString).err").path
  defer { for path in [outPath, errPath] { unlink(path) } }

  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var empty = sigset_t(), defaults = sigset_t()
  sigemptyset(&empty)
  sigemptyset(&defaults)
  for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
  posix_spawnattr_setsigmask(&attributes, &empty)
  posix_spawnattr_setsigdefault(&attributes, &defaults)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

  // The working directory is set through env(1): posix_spawn's chdir action is not in Swift's Glibc.
  let command = currentDirectory.map { ["/usr/bin/env", "-C", $0.path, executable] } ?? [executable]
  let argv = (command + arguments).map { $0.rawCStringCopy() } + [nil]
  let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
  defer { (argv + envp).forEach { free($0) } }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
  guard rc == 0 else { throw ProcessSpawnError(command: executable, errno: rc) }

  // Poll for the exit: a child of this process only, so nothing else reaps it.
  let start = Date()
  var status: Int32 = 0
  var interruptedAt: Double?, timedOut = false, killed = false, inspected = false
  while waitpid(pid, &status, WNOHANG) == 0 {
    let elapsed = Date().timeIntervalSince(start)
    if let after = inspectAfter, !inspected, elapsed >= after {
      inspected = true
      inspect(pid)
      continue
    }
    // bpftrace 0.17 sometimes misses a SIGINT that arrives just after it has attached: resend it.
    if let after = interruptAfter, elapsed >= after, interruptedAt.map({ elapsed - $0 >= 5 }) ?? true {
      interruptedAt = elapsed
      kill(pid, signal)
    }
    if !timedOut && elapsed >= timeout {
      timedOut = true
      kill(pid, SIGINT)
    }
    if timedOut && !killed && elapsed >= timeout + 5 {
      killed = true
      kill(pid, SIGKILL)
    }
    usleep(10_000)
  }
  // Bytes that are not UTF-8 stay distinct (RawBytes), so that outputs differing in them differ.
  let stdout = String(rawBytes: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data())
  let stderr = String(rawBytes: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data())
  if timedOut {
    throw ProcessTimeout(command: [executable] + arguments, seconds: timeout, stdout: stdout, stderr: stderr)
  }
  // Like Foundation's terminationStatus: the exit code, or the signal that ended the process.
  let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
  return ProcessResult(status: exitStatus, stdout: stdout, stderr: stderr)
}

extension Process {
  /// Ends the child with SIGKILL, if it still runs, and reaps it. Not terminate(): Foundation starts
  /// children with the test runner's signal mask, in which SIGTERM is blocked, so a child that
  /// does not unblock it (a fixture, dd, sleep) goes on running, holding the runner's output pipe.
  public func kill() {
    guard isRunning else { return }
    Glibc.kill(processIdentifier, SIGKILL)
    waitUntilExit()
  }
}

public struct ProcessSpawnError: Error, CustomStringConvertible {
  public let command: String
  public let errno: Int32
  public var description: String { "cannot run \(command): \(String(cString: strerror(errno)))" }
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

extension Trait where Self == ConditionTrait {
  /// A suite whose tests load BPF programs: skipped, with the reason, when not run as root.
  public static var needsRoot: Self {
    .enabled(if: isRoot, "loads BPF programs, which needs root (run the tests as root, as CI does)")
  }
}
