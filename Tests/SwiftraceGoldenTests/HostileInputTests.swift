import Foundation
import SwiftraceBasics
import SwiftraceTestSupport
import Testing

/// Input an attacker controls must never crash swiftrace: here ELF files with corrupt headers,
/// which any user can run (and so put into a stack that root traces) or name as a uprobe target.
@Suite struct HostileInputTests {
  /// Copies of the uprobe fixture with one header field or table corrupted each.
  static func corruptedCopies(in directory: String) throws -> [(name: String, path: String)] {
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.uprobeTarget)))
    func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
    func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) { for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
    func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
    func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { b[at] = UInt8(v & 0xff); b[at + 1] = UInt8(v >> 8) }
    let sectionHeaders = u64(original, 40), sectionCount = u16(original, 60), sectionSize = u16(original, 58)
    func everySection(_ change: (inout [UInt8], Int) -> Void) -> [UInt8] {
      var b = original
      for i in 0..<sectionCount { change(&b, sectionHeaders + i * sectionSize) }
      return b
    }
    var variants: [(String, [UInt8])] = []
    var b = original; put64(&b, 40, 0xffff_ffff_ffff_ff00); variants.append(("section headers far past the end", b))
    b = original; put64(&b, 40, 0x7fff_ffff_ffff_fff0); variants.append(("section headers at Int.max", b))
    b = original; put64(&b, 32, 0xffff_ffff_ffff_ff00); variants.append(("program headers far past the end", b))
    b = original; put16(&b, 58, 0xffff); put16(&b, 60, 0xffff); variants.append(("huge section table", b))
    b = original; put16(&b, 62, 0xfffe); variants.append(("section names index out of range", b))
    variants.append(("section offsets past the end", everySection { put64(&$0, $1 + 24, 0xffff_ffff_ffff_0000) }))
    variants.append(("section sizes huge", everySection { put64(&$0, $1 + 32, 0x7fff_ffff_ffff_ffff) }))
    variants.append(("links out of range", everySection { put32(&$0, $1 + 40, 0xffff_ffff) }))
    variants.append(("entry sizes of one byte", everySection { put64(&$0, $1 + 56, 1) }))
    variants.append(("names out of range", everySection { put32(&$0, $1, 0xffff_fff0) }))
    variants.append(("truncated", Array(original.prefix(200))))
    var files: [(String, String)] = []
    for (i, (name, bytes)) in variants.enumerated() {
      let path = "\(directory)/corrupt\(i)"
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      chmod(path, 0o755)
      files.append((name, path))
    }
    return files
  }

  @Test func corruptELFFilesAreErrorsNotCrashes() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-elf-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for (name, path) in try Self.corruptedCopies(in: directory) {
      for args in [["-l", "uprobe:\(path):*"], ["-l", "usdt:\(path):*"], ["-lv", "uprobe:\(path):add"],
                   ["--dry-run", "-e", "uprobe:\(path):add { @[ustack] = count(); }"],
                   ["--dry-run", "-e", "usdt:\(path):swiftrace:tick { }"]] {
        let r = try runProcess(swiftraceExecutable, args, timeout: 30)
        #expect(r.status == 0 || r.status == 1, "\(name): \(args.joined(separator: " ")) ended with status \(r.status): \(r.stderr.suffix(300))")
      }
    }
  }

  /// Every input a fuzzer found a crash with (Tests/Fixtures/fuzz-findings) goes through its
  /// fuzz target again, as a test: the fix stays a fix.
  /// Every finding of the ELF fuzzer (`elf/`) and of the script fuzzer (`script/`) goes through its
  /// target again; a script finding that was a timeout (over the fuzzer's 10 s) must now take
  /// less than half of that, in a debug build.
  @Test(arguments: [("elf", "swiftrace-fuzz-elf"), ("script", "swiftrace-fuzz")])
  func fuzzerFindingsStayFixed(_ folder: String, _ fuzzer: String) throws {
    let directory = Golden.repositoryRoot.appendingPathComponent("Tests/Fixtures/fuzz-findings/\(folder)").path
    let target = URL(fileURLWithPath: swiftraceExecutable).deletingLastPathComponent().appendingPathComponent(fuzzer).path
    guard FileManager.default.isExecutableFile(atPath: target) else { try Test.cancel("\(target) is not built") }
    let findings = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(!findings.isEmpty)
    for name in findings {
      let start = Date()
      let r = try runProcess(target, [directory + "/" + name], environment: ["SWIFT_BACKTRACE": "enable=no"], timeout: 60)
      #expect(r.status == 0, "\(name): status \(r.status): \(r.stderr.suffix(500))")
      if name.hasPrefix("timeout") { #expect(Date().timeIntervalSince(start) < 5, "\(name) took \(Date().timeIntervalSince(start)) s") }
    }
  }

  /// A program whose section headers are corrupt still runs; its frames in a traced stack must
  /// not take the trace down with them.
  @Test func corruptELFInATracedStack() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-elfstack-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let copies = try Self.corruptedCopies(in: directory).prefix(2)
    for (name, path) in copies {
      let r = try runProcess(swiftraceExecutable, ["-c", "\(path) 2", "-e", "uprobe:libc:getppid /pid == cpid/ { @[ustack(3)] = count(); }"],
                             timeout: 30)
      #expect(r.status == 0, "\(name): status \(r.status): \(r.stderr.suffix(300))")
      #expect(r.stdout.contains("]: 2\n"), "\(name): \(r.stdout)")
    }
  }

  /// Long chains: a flat sum of thousands of terms runs; `?:` and `else if` chains past the
  /// nesting limit are one located error (they overflowed the stack from about 6,000 links).
  @Test func longChains() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let sum = "BEGIN { printf(\"%d\\n\", " + Array(repeating: "1", count: 4000).joined(separator: " + ") + "); exit(); }"
    let summed = try runProcess(swiftraceExecutable, ["-e", sum], timeout: 60)
    #expect(summed.status == 0 && summed.stdout.contains("\n4000\n"), "\(summed.stderr.prefix(300))")
    let conditional = "BEGIN { @x = " + String(repeating: "0 ? 1 : ", count: 8000) + "2; }"
    let elseIf = "BEGIN { if (pid == 0) { @x = 0; }" + String(repeating: " else if (pid == 1) { @x = 1; }", count: 8000) + " }"
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-chain-\(getpid()).st").path
    defer { try? FileManager.default.removeItem(atPath: script) }
    for text in [conditional, elseIf] {
      try text.write(toFile: script, atomically: true, encoding: .utf8)
      let r = try runProcess(swiftraceExecutable, ["--dry-run", script], timeout: 60)
      #expect(r.status == 1 && r.stderr.contains("ERROR: nested too deeply"), "status \(r.status): \(r.stderr.prefix(200))")
    }
  }

  /// A binary given as the script is one line, at once (`swiftrace /usr/bin/ls` wrote 382 MB of
  /// errors in 89 s).
  @Test(.needsRoot) func binaryScriptIsOneLine() throws {
    let r = try runProcess(swiftraceExecutable, ["/usr/bin/ls"], timeout: 20)
    #expect(r.status == 1 && r.stderr == "ERROR: '/usr/bin/ls' is not a text file (it holds NUL bytes): give a script, or a program with -e\n")
  }

  /// A probe over BPF's size limits is one located error, found before LLVM runs on it: 100,000
  /// statements took 227 s and 2.65 GB to end in a verifier error; 10,000 ended in "jump out of
  /// range" after 9 s.
  @Test func oversizedProbesAreRefusedEarly() throws {
    guard isRoot else { try Test.cancel("compiling for the kernel needs root") }
    for n in [10_000, 100_000] {
      let script = "BEGIN {\n" + (0..<n).map { "  @a\($0 % 50) = \($0);\n" }.joined() + "  exit();\n}\n"
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-statements-\(n).st").path
      try script.write(toFile: path, atomically: true, encoding: .utf8)
      defer { try? FileManager.default.removeItem(atPath: path) }
      let r = try runProcess(swiftraceExecutable, ["--dry-run", path], timeout: 60)
      #expect(r.status == 1)
      #expect(r.stderr.hasPrefix("\(path):1:1: ERROR: probe 'BEGIN' is too large for BPF: at least "), "\(r.stderr.prefix(500))")
      #expect(r.stderr.contains("instructions before optimization, and a probe has at most 65,536 here"))
    }
  }

  /// Under 65,536 instructions, a branch LLVM could not make reach (it wraps the offset without a
  /// word) is found in the object and refused, naming the probe.
  @Test func branchesBeyondReachAreRefused() throws {
    guard isRoot else { try Test.cancel("compiling for the kernel needs root") }
    let script = "BEGIN {\n" + (0..<2_500).map { "  @a\($0 % 50) = \($0);\n" }.joined() + "  exit();\n}\n"
    let r = try runProcess(swiftraceExecutable, ["--dry-run", "-e", script], timeout: 60)
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("<command-line>:1:1: ERROR: probe 'BEGIN' is too large for BPF: "), "\(r.stderr.prefix(500))")
    #expect(r.stderr.contains("instructions, with a branch across more than the 32,767 instructions BPF branches reach"))
  }

  /// Commands system() starts get stdin, stdout and stderr only: the metrics socket and an epoll
  /// instance reached them (`ls /proc/self/fd` listed 5 and 8). (The -c command starts before any
  /// of these exist, and any system call it makes counts under `pid == cpid`, so it is left as
  /// bpftrace leaves it.)
  @Test func systemCommandsInheritOnlyTheStandardDescriptors() throws {
    guard isRoot else { try Test.cancel("needs root") }
    func descriptors(_ output: String) -> [String] {
      output.split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
    let system = try runProcess(swiftraceExecutable, ["--unsafe", "--metrics", "127.0.0.1:0", "-e",
                                                      "BEGIN { system(\"ls /proc/self/fd\"); exit(); }"])
    #expect(system.status == 0, "\(system.stderr)")
    #expect(descriptors(system.stdout) == ["0", "1", "2", "3"], "\(system.stdout)")  // 3: ls's own directory
  }

  /// A traced program's name, a path it passes to the kernel and a parameter that are not UTF-8 print
  /// as the bytes they are (they printed as U+FFFD), in printf and as map keys.
  @Test func bytesThatAreNotUTF8StayBytes() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-raw-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let program = dir + "/" + String(rawBytes: [0x74, 0xFF, 0x6D, 0xE9])  // "t\xffm\xe9"
    #expect(copyfile("/bin/sleep", program))
    let parameter = String(rawBytes: [0x70, 0xFE, 0x71])
    let script = """
      tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("exec %s\\n", str(args->filename)); }
      tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { printf("comm %s %s\\n", comm, str($1)); @[comm] = count(); exit(); }
      """
    let r = try runProcess(swiftraceExecutable, ["-c", program + " 0.01", "-e", script, parameter], timeout: 30)
    let name = String(rawBytes: [0x74, 0xFF, 0x6D, 0xE9])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "Attaching 2 probes...\nexec \(program)\ncomm \(name) \(parameter)\n\n\n@[\(name)]: 1\n",
            "\(Array(r.stdout.rawBytes))")
  }
}

/// Copies a file with its permission bits (a test fixture under a name that is not UTF-8).
private func copyfile(_ from: String, _ to: String) -> Bool {
  guard let bytes = FileManager.default.contents(atPath: from) else { return false }
  let fd = to.withRawCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o755) }
  guard fd >= 0 else { return false }
  defer { close(fd) }
  return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
}
