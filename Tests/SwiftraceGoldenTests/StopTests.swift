import CLibBPF
import Foundation
import SwiftraceTestSupport
import Testing

/// Every way a trace ends: END runs and the maps print (except under SIGKILL, which nothing can
/// catch), and afterwards none of the programs, links and maps the run held exists in the kernel.
/// The run's objects are read from /proc/PID/fdinfo while it traces; the kernel's objects are
/// enumerated by id afterwards (ids are not reused soon, so parallel tests do not interfere).
@Suite(.serialized, .needsRoot) struct StopTests {
  static let script = """
    tracepoint:syscalls:sys_enter_getppid { @calls = count(); }
    interval:ms:100 { @ticks = count(); }
    END { printf("END ran\\n"); }
    """

  struct KernelObjects: Equatable, CustomStringConvertible {
    var programs: Set<UInt32> = [], links: Set<UInt32> = [], maps: Set<UInt32> = []
    var isEmpty: Bool { programs.isEmpty && links.isEmpty && maps.isEmpty }
    var description: String { "programs \(programs.sorted()), links \(links.sorted()), maps \(maps.sorted())" }

    /// The BPF objects whose descriptors `pid` holds.
    static func held(by pid: pid_t) -> KernelObjects {
      var held = KernelObjects()
      let dir = "/proc/\(pid)/fdinfo"
      for fd in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
        guard let info = try? String(contentsOfFile: "\(dir)/\(fd)", encoding: .utf8) else { continue }
        var fields: [String: UInt32] = [:]
        for line in info.split(separator: "\n") {
          let parts = line.split(separator: ":", maxSplits: 1)
          if parts.count == 2, let value = UInt32(parts[1].trimmingCharacters(in: .whitespaces)) {
            fields[String(parts[0])] = value
          }
        }
        // A link's fdinfo also names its program: classify by the most specific id.
        if let id = fields["link_id"] { held.links.insert(id) }
        else if let id = fields["prog_id"] { held.programs.insert(id) }
        else if let id = fields["map_id"] { held.maps.insert(id) }
      }
      return held
    }

    /// Which of these objects still exist anywhere in the kernel.
    func stillExisting() -> KernelObjects {
      func existing(_ next: (UInt32, UnsafeMutablePointer<UInt32>) -> Int32) -> Set<UInt32> {
        var ids: Set<UInt32> = [], id: UInt32 = 0
        while next(id, &id) == 0 { ids.insert(id) }
        return ids
      }
      return KernelObjects(programs: programs.intersection(existing(bpf_prog_get_next_id)),
                           links: links.intersection(existing(bpf_link_get_next_id)),
                           maps: maps.intersection(existing(bpf_map_get_next_id)))
    }
  }

  /// Runs the script with `arguments`, stops it with `signal` once its probes are attached (or lets
  /// it end by itself), and checks what it printed and what it left in the kernel.
  func stop(_ arguments: [String], extraProbes: String = "", signal: Int32? = nil, expectsEnd: Bool = true) throws {
    var held = KernelObjects()
    let result = try runProcess(swiftraceExecutable, arguments + ["-e", Self.script + extraProbes],
                                timeout: 20, interruptAfter: signal == nil ? nil : 0.2, signal: signal ?? SIGINT,
                                inspectAfter: 0.1) { pid in
      // Until the probes are attached (however slow the machine), then the signal follows at once.
      for _ in 0..<200 {
        held = KernelObjects.held(by: pid)
        if held.links.count >= 2 { break }
        usleep(25_000)
      }
      usleep(200_000)  // a few ticks of the interval probe, for @ticks
    }
    // The run really held probes: two programs and their links, and maps.
    #expect(held.programs.count >= 2 && held.links.count >= 2 && !held.maps.isEmpty, "\(held)")
    if expectsEnd {
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.contains("END ran\n"), "\(result.stdout)")
      #expect(result.stdout.contains("@ticks: "), "\(result.stdout)")
    }
    waitUntilReleased(held)
  }

  /// Detaching finishes in a child after swiftrace exits (Architecture.md): give it a moment.
  func waitUntilReleased(_ held: KernelObjects) {
    var left = held.stillExisting()
    for _ in 0..<50 where !left.isEmpty {
      usleep(100_000)
      left = held.stillExisting()
    }
    #expect(left.isEmpty, "left in the kernel: \(left)")
  }

  @Test(arguments: [("SIGINT", SIGINT), ("SIGTERM", SIGTERM), ("SIGHUP", SIGHUP)])
  func signal(_ name: String, _ signal: Int32) throws {
    try stop([], signal: signal)
  }

  /// Ctrl-C while system() commands pile up (every context switch asks for one): the backlog is
  /// dropped and the trace ends at once, END included (it used to work through the backlog first).
  @Test func signalDuringSystemBacklog() throws {
    let started = Date()
    let result = try runProcess(swiftraceExecutable,
                                ["--unsafe", "-e", #"tracepoint:sched:sched_switch { system("echo foo"); } END { printf("end\n"); }"#],
                                timeout: 30, interruptAfter: 2)
    let seconds = Date().timeIntervalSince(started)
    // Well before the test helper's second SIGINT (5 s after the first).
    #expect(seconds < 5.5, "took \(seconds) s")
    #expect(result.status == 0 && result.stdout.contains("end\n"), "\(result.stderr)")
  }

  @Test func sigkillLeavesNothing() throws {
    try stop([], signal: SIGKILL, expectsEnd: false)
  }

  @Test func exitFunction() throws {
    try stop([], extraProbes: "\ninterval:ms:1200 { exit(); }")
  }

  @Test func endOfCommand() throws {
    try stop(["-c", "sleep 1.2"])
  }

  /// A probe that fails to attach while `-c`'s command is still held: swiftrace exits 1 at once
  /// and the command never runs (it hung here, waiting for the held child, which held its own
  /// copy of the pipe it waited on). kprobes cannot attach on this kernel.
  @Test func attachFailureWithHeldCommand() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-held-\(getpid())").path
    let result = try runProcess(swiftraceExecutable, ["-c", "/usr/bin/touch \(marker)", "-e", "kprobe:vfs_read { }"],
                                timeout: 20)
    #expect(result.status == 1 && result.stderr.contains("cannot attach kprobe:vfs_read"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: marker), "the held command must not run")
    try? FileManager.default.removeItem(atPath: marker)
  }

  /// `-p PID` of a process that exits while swiftrace starts (here during a long compile): the
  /// trace ends as at the process's exit (it waited forever).
  @Test func targetExitsDuringStartup() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let target = Process()
    target.executableURL = URL(fileURLWithPath: "/bin/sleep")
    target.arguments = ["0.2"]
    try target.run()
    let slowToCompile = Array(repeating: "pid", count: 4000).joined(separator: " + ")
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-slow-\(getpid()).st").path
    defer { try? FileManager.default.removeItem(atPath: script) }
    try "tracepoint:syscalls:sys_enter_getppid { @ = \(slowToCompile); }".write(toFile: script, atomically: true, encoding: .utf8)
    let result = try runProcess(swiftraceExecutable, ["-p", "\(target.processIdentifier)", script], timeout: 30)
    target.waitUntilExit()
    #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
  }

  /// Ctrl-C while the program compiles: nothing attaches, the -c command never runs, and the
  /// trace ends as any stopped trace does (END runs).
  @Test func interruptDuringCompile() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-interrupted-\(getpid())").path
    let slowToCompile = Array(repeating: "pid", count: 4000).joined(separator: " + ")
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-slow2-\(getpid()).st").path
    defer { try? FileManager.default.removeItem(atPath: script); try? FileManager.default.removeItem(atPath: marker) }
    try "tracepoint:syscalls:sys_enter_getppid { @ = \(slowToCompile); } END { printf(\"end ran\\n\"); }"
      .write(toFile: script, atomically: true, encoding: .utf8)
    let result = try runProcess(swiftraceExecutable, ["-c", "/usr/bin/touch \(marker)", script], timeout: 30,
                                interruptAfter: 0.15)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("end ran"), "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: marker), "the held command must not run")
  }

  /// `swiftrace ... | head`: when the reader of its output goes away, the trace ends and nothing
  /// stays in the kernel (instead of tracing into a closed pipe until killed).
  @Test func closedOutputPipe() throws {
    let tracer = Process()
    tracer.executableURL = URL(fileURLWithPath: swiftraceExecutable)
    tracer.arguments = ["-e", Self.script + "\ninterval:ms:50 { printf(\"tick\\n\"); }"]
    let output = Pipe()
    tracer.standardOutput = output
    tracer.standardError = FileHandle.nullDevice
    try tracer.run()
    defer { tracer.kill() }
    var text = ""
    while !text.contains("tick\ntick\n") {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    let held = KernelObjects.held(by: tracer.processIdentifier)
    #expect(held.links.count >= 2, "\(held)")
    try output.fileHandleForReading.close()
    for _ in 0..<100 where tracer.isRunning { usleep(50_000) }
    #expect(!tracer.isRunning, "swiftrace still runs 5 s after its output pipe closed")
    waitUntilReleased(held)
  }

  /// `swiftrace ... | sleep 60` (or a paused pager): the output pipe is full and nobody reads it.
  /// Ctrl-C ends the trace within a second, dropping what cannot be written, and detaches (it
  /// stayed blocked in write(2) until the reader went away).
  @Test func interruptWhileOutputIsBlocked() throws {
    let output = Pipe()  // never read
    let script = "tracepoint:raw_syscalls:sys_enter { printf(\"%s\\n\", \"" + String(repeating: "x", count: 60) + "\"); }"
    let (tracer, held) = try startAttached(script, output: output)
    defer { tracer.kill() }
    usleep(1_000_000)  // the 64 KiB pipe fills within milliseconds of events
    try interruptAndExpectEnd(tracer, held, "with its output blocked")
  }

  /// Every syscall traced while other CPUs make them as fast as they can: events arrive about as
  /// fast as swiftrace handles them. Ctrl-C ends the trace within a second (libbpf's drain of the
  /// ring buffer, unbounded, never found it empty and never returned).
  @Test func interruptWhileEventsArriveAsFastAsHandled() throws {
    let script = "tracepoint:raw_syscalls:sys_enter { printf(\"%d %s\\n\", pid, comm); } END { printf(\"END ran\\n\"); }"
    let (tracer, held) = try startAttached(script, output: FileHandle.nullDevice)
    defer { tracer.kill() }
    // The flood starts once swiftrace traces (and lasts only as long as this test needs it).
    let load = (0..<2).map { _ in
      let dd = Process()
      dd.executableURL = URL(fileURLWithPath: "/bin/dd")
      dd.arguments = ["if=/dev/zero", "of=/dev/null", "bs=1"]  // two syscalls a byte
      dd.standardError = FileHandle.nullDevice
      return dd
    }
    for dd in load { try dd.run() }
    defer { for dd in load { dd.kill() } }
    usleep(1_000_000)
    try interruptAndExpectEnd(tracer, held, "under a flood of events")
    #expect(tracer.terminationStatus == 0)
  }

  /// Starts swiftrace on `script` and waits until it holds its links (a debug build on a loaded
  /// machine may take seconds to compile).
  func startAttached(_ script: String, output: Any) throws -> (Process, KernelObjects) {
    let tracer = Process()
    tracer.executableURL = URL(fileURLWithPath: swiftraceExecutable)
    tracer.arguments = ["-e", script]
    tracer.standardOutput = output
    tracer.standardError = FileHandle.nullDevice
    try tracer.run()
    var held = KernelObjects.held(by: tracer.processIdentifier)
    for _ in 0..<60 where held.links.isEmpty && tracer.isRunning {
      usleep(250_000)
      held = KernelObjects.held(by: tracer.processIdentifier)
    }
    if held.links.isEmpty { tracer.kill() }
    try #require(!held.links.isEmpty, "swiftrace did not attach within 15 s")
    return (tracer, held)
  }

  /// SIGINT; the trace must end within 2 s and leave nothing in the kernel.
  func interruptAndExpectEnd(_ tracer: Process, _ held: KernelObjects, _ situation: String) throws {
    kill(tracer.processIdentifier, SIGINT)
    for _ in 0..<40 where tracer.isRunning { usleep(50_000) }
    try #require(!tracer.isRunning, "swiftrace still runs 2 s after SIGINT \(situation)")
    waitUntilReleased(held)
  }

  @Test func exitOfTracedProcess() throws {
    let sleeper = Process()
    sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
    sleeper.arguments = ["1.2"]
    try sleeper.run()
    defer { sleeper.kill() }
    try stop(["-p", String(sleeper.processIdentifier)])
  }
}
