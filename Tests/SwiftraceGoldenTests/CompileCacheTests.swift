import Foundation
import SwiftraceBasics
import SwiftraceTestSupport
import Testing

/// The compile cache: a repeated run uses the program compiled before, and an entry that is
/// damaged, or whose inputs changed, is compiled again rather than trusted.
@Suite(.serialized, .needsRoot) struct CompileCacheTests {
  let directory: String

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-cache-test-\(getpid())").path
    try? FileManager.default.removeItem(atPath: directory)
  }

  static let used = "running the program compiled earlier"
  static let stored = "cached the compiled program"

  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try runProcess(swiftraceExecutable, ["-v"] + arguments,
                   environment: ["SWIFTRACE_CACHE_DIR": directory].merging(environment) { $1 })
  }

  /// The output without -v's libbpf lines.
  func visible(_ r: ProcessResult) -> String { r.stdout }

  var entries: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".entry") }
  }

  @Test func secondRunUsesTheCacheAndPrintsTheSame() throws {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let program = "BEGIN { printf(\"%s %d\\n\", str($1), $2); @[$2] = count(); exit($2 - 2); }"
    let first = try run(["-e", program, "cached", "5"])
    #expect(first.status == 3 && first.stderr.contains(Self.stored) && !first.stderr.contains(Self.used), "\(first.stderr)")
    #expect(entries.count == 1)
    let second = try run(["-e", program, "cached", "5"])
    #expect(second.status == 3 && second.stderr.contains(Self.used), "\(second.stderr)")
    #expect(second.stdout == first.stdout && first.stdout.contains("cached 5\n"), "\(second.stdout)")
    // Only how the run prints differs: the same entry.
    let json = try run(["-f", "json", "-e", program, "cached", "5"])
    #expect(json.stderr.contains(Self.used) && json.stdout.contains("\"data\": \"cached 5\\n\""), "\(json.stdout)")
    // Parameters the program reads as values are the run's: the same entry, other values.
    let other = try run(["-e", program, "other", "6"])
    #expect(other.status == 4 && other.stderr.contains(Self.used) && other.stdout.contains("other 6\n"), "\(other.stderr)")
    // Anything that changes the program is another entry.
    let strlen = try run(["-e", program, "cached", "5"], environment: ["BPFTRACE_MAX_STRLEN": "100"])
    #expect(strlen.stderr.contains(Self.stored), "\(strlen.stderr)")
    #expect(entries.count == 2)
    // A parameter the compiler used (an attach point) is compiled in: another value compiles
    // again and replaces the entry; the same value uses it.
    let interval = "interval:ms:$1 { printf(\"%d\\n\", $1); exit(); }"
    for (value, expected) in [("5", Self.stored), ("6", Self.stored), ("6", Self.used)] {
      let r = try run(["-e", interval, value])
      #expect(r.status == 0 && r.stderr.contains(expected) && r.stdout.contains("\n\(value)\n"), "\(value): \(r.stderr)")
    }
    #expect(entries.count == 3)
    // --no-cache compiles, and keeps nothing.
    let uncached = try run(["--no-cache", "-e", program, "cached", "5"])
    #expect(!uncached.stderr.contains(Self.used) && !uncached.stderr.contains(Self.stored) && uncached.status == 3)
  }

  /// The compiler's warnings are printed again when its program comes from the cache.
  @Test func warningsAreRepeated() throws {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let program = "uprobe:/bin/sh:no_such_function_xyz, BEGIN { exit(); }"
    let first = try run(["-e", program])
    let second = try run(["-e", program])
    #expect(second.stderr.contains(Self.used), "\(second.stderr)")
    let warning = first.stderr.split(separator: "\n").filter { $0.contains("WARNING") }
    #expect(!warning.isEmpty, "\(first.stderr)")
    #expect(second.stderr.split(separator: "\n").filter { $0.contains("WARNING") } == warning)
  }

  /// A changed byte or a cut entry is compiled again and replaced.
  @Test func damagedEntriesAreCompiledAgain() throws {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let program = "BEGIN { printf(\"intact\\n\"); exit(); }"
    _ = try run(["-e", program])
    let entry = try #require(entries.first.map { directory + "/" + $0 })
    let bytes = try Data(contentsOf: URL(fileURLWithPath: entry))
    for damaged in [{ var d = bytes; d[d.count - 3] ^= 0x55; return d }(), bytes.prefix(bytes.count / 2), Data("junk".utf8)] {
      try damaged.write(to: URL(fileURLWithPath: entry))
      let r = try run(["-e", program])
      #expect(r.status == 0 && r.stdout.contains("intact\n"), "\(r.stderr)")
      #expect(r.stderr.contains(Self.stored) && !r.stderr.contains(Self.used), "\(r.stderr)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: entry)) == bytes, "the entry is written again, whole")
    }
  }

  /// An imported file that changes makes the entry stale: the script is compiled again.
  @Test func changedImportsAreCompiledAgain() throws {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-cache-imports-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let library = folder.appendingPathComponent("lib.bt"), script = folder.appendingPathComponent("main.bt")
    try "macro answer() { 41 }\n".write(to: library, atomically: false, encoding: .utf8)
    try "import \"lib.bt\";\nBEGIN { printf(\"%d\\n\", answer()); exit(); }\n".write(to: script, atomically: true, encoding: .utf8)
    let first = try run([script.path])
    #expect(first.stdout.contains("41\n") && first.stderr.contains(Self.stored), "\(first.stdout)\(first.stderr)")
    #expect(try run([script.path]).stderr.contains(Self.used))
    try "macro answer() { 42 }\n".write(to: library, atomically: false, encoding: .utf8)
    let changed = try run([script.path])
    #expect(changed.stdout.contains("42\n") && !changed.stderr.contains(Self.used), "\(changed.stdout)\(changed.stderr)")
  }

  /// A cache directory others may write to is not used: its entries would be loaded into the kernel.
  @Test func aDirectoryOthersMayWriteIsNotUsed() throws {
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    chmod(directory, 0o777)
    let r = try run(["-e", "BEGIN { exit(); }"])
    #expect(r.status == 0 && !r.stderr.contains(Self.stored), "\(r.stderr)")
    #expect(entries.isEmpty)
  }
}
