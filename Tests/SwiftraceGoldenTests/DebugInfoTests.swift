import Foundation
import SwiftraceTestSupport
import Testing

/// Symbols that are only in a binary's debug information: here its MiniDebugInfo (an xz-compressed
/// `.symtab` in `.gnu_debugdata`, as Fedora ships programs), found through libdwfl.
@Suite(.needsRoot) struct DebugInfoTests {
  /// A program whose only record of `hidden_helper`, a static function, is its MiniDebugInfo.
  static func buildMiniDebugInfoProgram(in directory: String) throws -> String {
    let source = """
      #include <unistd.h>
      static __attribute__((noinline)) int hidden_helper(int x) { return getppid() + x; }
      int main(void) { int s = 0; for (int i = 0; i < 3; i++) s += hidden_helper(i); return s > 0 ? 0 : 1; }
      """
    try source.write(toFile: "\(directory)/m.c", atomically: true, encoding: .utf8)
    // The recipe of Fedora's find-debuginfo: keep the functions .dynsym lacks, compress them with
    // xz, and add them to a stripped copy.
    let script = """
      set -e
      cd '\(directory)'
      cc -O0 -g -o m m.c
      nm -D m --format=posix --defined-only | awk '{print $1}' | sort > dynamic
      nm m --format=posix --defined-only | awk '$2 == "T" || $2 == "t" {print $1}' | sort > functions
      comm -13 dynamic functions > keep
      objcopy --only-keep-debug m m.debug
      objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols=keep m.debug mini
      xz -f mini
      objcopy --strip-all m stripped
      objcopy --add-section .gnu_debugdata=mini.xz stripped
      """
    let built = try runProcess("/bin/bash", ["-c", script])
    #expect(built.status == 0, "\(built.stderr)")
    return "\(directory)/stripped"
  }

  @Test func miniDebugInfoNamesLocalFunctions() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-mdi-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let program = try Self.buildMiniDebugInfoProgram(in: directory)
    let listed = try runProcess(swiftraceExecutable, ["-l", "uprobe:\(program):hidden*"])
    #expect(listed.stdout == "uprobe:\(program):hidden_helper\n", "\(listed.stdout)\(listed.stderr)")
    let traced = try runProcess(swiftraceExecutable, [
      "-c", program, "-e", "uprobe:\(program):hidden_helper /pid == cpid/ { @[usym(reg(\"ip\"))] = count(); }",
    ])
    #expect(traced.status == 0, "\(traced.stderr)")
    #expect(traced.stdout.hasSuffix("\n\n\n@[hidden_helper]: 3\n"), "\(traced.stdout)")
  }

  /// glibc functions with several symbol versions (216 of them): the default version goes by the
  /// plain name, as the dynamic linker binds it ("Unknown error 4001" from libbpf before).
  @Test func versionedLibcFunctionsAttach() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let r = try runProcess(swiftraceExecutable, [
      "--unsafe", "-e",
      // system() starts its command with posix_spawn, before the trace ends.
      "uprobe:libc:realpath, uprobe:libc:posix_spawn { @[probe] = count(); } interval:ms:300 { system(\"/usr/bin/realpath / >/dev/null\"); } interval:ms:1500 { exit(); }",
    ], timeout: 30)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("libc.so.6:posix_spawn]: "), "\(r.stdout)")
  }
}
