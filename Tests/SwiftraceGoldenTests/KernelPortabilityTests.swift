import CLibBPF
import Foundation
import SwiftraceBasics
import SwiftraceTestSupport
import Testing

/// CO-RE: a program built against one kernel's types reads the right fields on another whose
/// layouts differ. The programs here are built against a small BTF written for the test
/// (BPFTRACE_BTF), in which every field the script reads sits elsewhere than in this kernel's
/// task_struct, pid and upid, then run on this kernel: the values must be the running kernel's.
@Suite(.serialized, .needsRoot) struct KernelPortabilityTests {
  func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-core-\(name)-\(getpid())").path
  }

  /// Writes the BTF of another kernel: task_struct, pid and upid with their fields in another
  /// order and at other offsets than any kernel has them, and EXTRA, a field this kernel lacks.
  func writeMovedTypes(to path: String, extra: String? = nil) throws {
    let btf = try #require(btf__new_empty())
    defer { btf__free(btf) }
    let int = btf__add_int(btf, "int", 4, Int32(BTF_INT_SIGNED))
    let char = btf__add_int(btf, "char", 1, Int32(BTF_INT_CHAR))
    let uint = btf__add_int(btf, "unsigned int", 4, 0)
    let comm = btf__add_array(btf, uint, char, 16)
    let voidPointer = btf__add_ptr(btf, 0)
    // kuid_t: a typedef of an anonymous struct holding the uid, as the kernel has it.
    let uid = btf__add_struct(btf, "", 4)
    btf__add_field(btf, "val", uint, 0, 0)
    let kuid = btf__add_typedef(btf, "kuid_t", uid)
    // struct upid { struct pid_namespace *ns; int nr; } (the kernel has nr first).
    let upid = btf__add_struct(btf, "upid", 16)
    btf__add_field(btf, "ns", voidPointer, 0, 0)
    btf__add_field(btf, "nr", int, 64, 0)
    let numbers = btf__add_array(btf, uint, upid, 1)
    let pid = btf__add_struct(btf, "pid", 48)
    btf__add_field(btf, "level", uint, 0, 0)
    btf__add_field(btf, "numbers", numbers, 256, 0)
    let pidPointer = btf__add_ptr(btf, pid)
    // The task_struct pointer names the struct added right after it.
    let taskPointer = btf__add_ptr(btf, pidPointer + 2)
    let task = btf__add_struct(btf, "task_struct", 128)
    try #require(task == pidPointer + 2 && [int, char, uint, comm, uid, kuid, upid, pid].allSatisfy { $0 > 0 })
    btf__add_field(btf, "real_parent", taskPointer, 0, 0)
    btf__add_field(btf, "comm", comm, 64, 0)
    btf__add_field(btf, "loginuid", kuid, 192, 0)
    btf__add_field(btf, "thread_pid", pidPointer, 256, 0)
    btf__add_field(btf, "tgid", int, 320, 0)
    btf__add_field(btf, "pid", int, 352, 0)
    if let extra { btf__add_field(btf, extra, int, 384, 0) }
    var size: UInt32 = 0
    let bytes = try #require(btf__raw_data(btf, &size))
    try Data(bytes: bytes, count: Int(size)).write(to: URL(fileURLWithPath: path))
  }

  /// Reads of the moved fields, beside what other ways of knowing give (builtins, the parent).
  static let script = """
    BEGIN {
      printf("%d %d %d %d\\n", curtask->pid, tid, curtask->tgid, pid);
      printf("%d %d %u\\n", curtask->real_parent->tgid, ppid, curtask->loginuid.val);
      printf("%s %d\\n", curtask->comm, curtask->thread_pid->numbers[0].nr);
      exit();
    }
    """

  func expectRunningKernelValues(_ output: String, command: String) throws {
    let lines = output.split(separator: "\n").filter { !$0.hasPrefix("Attaching") }.map { $0.split(separator: " ") }
    try #require(lines.count == 3, "output: \(output)")
    #expect(lines[0][0] == lines[0][1], "task_struct.pid is the thread id")
    #expect(lines[0][2] == lines[0][3], "task_struct.tgid is the process id")
    #expect(lines[1][0] == "\(getpid())" && lines[1][1] == "\(getpid())", "the parent is the test process")
    let loginuid = try String(contentsOfFile: "/proc/self/loginuid", encoding: .utf8)
    #expect(String(lines[1][2]) == loginuid.trimmingCharacters(in: .whitespacesAndNewlines), "loginuid is inherited")
    #expect(String(lines[2][0]) == command, "comm")
    #expect(lines[2][1] == lines[0][1], "the thread's pid struct holds its number")
  }

  /// Built here against the moved types, run by swiftrace-run: the running kernel's values.
  @Test func artefactBuiltAgainstOtherLayoutsReadsThisKernelsFields() throws {
    let btf = temporaryPath("moved") + ".btf", source = temporaryPath("moved") + ".st"
    let artefact = temporaryPath("moved") + ".run"
    defer { for path in [btf, source, artefact] { unlink(path) } }
    try writeMovedTypes(to: btf)
    try Data(Self.script.utf8).write(to: URL(fileURLWithPath: source))
    let built = try runProcess(swiftraceExecutable, ["--aot", artefact, source], environment: ["BPFTRACE_BTF": btf])
    try #require(built.status == 0, "swiftrace --aot: \(built.stderr)")
    let result = try runProcess(swiftraceRunExecutable, [artefact])
    try #require(result.status == 0, "exit \(result.status): \(result.stderr)")
    try expectRunningKernelValues(result.stdout, command: "swiftrace-run")
  }

  /// swiftrace itself, compiling against the moved types and running at once, relocates the same.
  @Test func compiledAgainstOtherLayoutsAndRunAtOnce() throws {
    let btf = temporaryPath("direct") + ".btf"
    defer { unlink(btf) }
    try writeMovedTypes(to: btf)
    let result = try runProcess(swiftraceExecutable, ["--no-cache", "-e", Self.script], environment: ["BPFTRACE_BTF": btf])
    try #require(result.status == 0, "exit \(result.status): \(result.stderr)")
    try expectRunningKernelValues(result.stdout, command: "swiftrace")
  }

  /// A field the program was built with and the running kernel lacks: one error naming it, at
  /// the script's read of it, and exit status 1.
  @Test func fieldMissingFromTheRunningKernelIsNamed() throws {
    let btf = temporaryPath("missing") + ".btf", source = temporaryPath("missing") + ".st"
    let artefact = temporaryPath("missing") + ".run"
    defer { for path in [btf, source, artefact] { unlink(path) } }
    try writeMovedTypes(to: btf, extra: "swiftrace_gone")
    let script = "BEGIN {\n  printf(\"%d\\n\", curtask->pid);\n  printf(\"%d\\n\", curtask->swiftrace_gone);\n  exit();\n}\n"
    try Data(script.utf8).write(to: URL(fileURLWithPath: source))
    let built = try runProcess(swiftraceExecutable, ["--aot", artefact, source], environment: ["BPFTRACE_BTF": btf])
    try #require(built.status == 0, "swiftrace --aot: \(built.stderr)")
    let result = try runProcess(swiftraceRunExecutable, [artefact])
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty, "nothing traced: \(result.stdout)")
    let errors = result.stderr.split(separator: "\n").filter { $0.contains("ERROR") }
    #expect(errors == ["\(source):3:18: ERROR: the running kernel's struct task_struct has no field 'swiftrace_gone' "
                         + "(the program was built against kernel types that have it)"], "\(result.stderr)")
  }

  /// `kaddr()` is the address the running kernel has (KASLR moves it at each boot): an extern the
  /// loader resolves, not the number the compiling machine had.
  @Test func kernelSymbolAddressIsResolvedWhenLoading() throws {
    // /proc/kallsyms reports a size of 0, which Foundation's whole-file reads trust.
    let lookup = try runProcess("/usr/bin/awk", ["$3 == \"vfs_read\" { print $1; exit }", "/proc/kallsyms"])
    let address = lookup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try #require(!address.isEmpty, "vfs_read is in /proc/kallsyms")
    let script = "BEGIN { printf(\"%lx\\n\", kaddr(\"vfs_read\")); exit(); }"
    let dump = try runProcess(swiftraceExecutable, ["--no-cache", "--dump=llvm", "-e", script])
    #expect(dump.stdout.contains("@vfs_read = external global i8, section \".ksyms\""), "\(dump.stdout)")
    let artefact = temporaryPath("kaddr") + ".run"
    defer { unlink(artefact) }
    let built = try runProcess(swiftraceExecutable, ["--aot", artefact, "-e", script])
    try #require(built.status == 0, "\(built.stderr)")
    let result = try runProcess(swiftraceRunExecutable, ["-q", artefact])
    #expect(result.status == 0 && result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == address,
            "\(result.stdout) \(result.stderr)")
  }
}
