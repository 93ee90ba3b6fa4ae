import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceSema

/// What a run does with the program: trace, or run its test or bench probes.
public enum RunMode: Sendable {
  case trace
  /// `--test`: each `test:NAME` probe once; it passes when it returns 0 and calls no exit() with a
  /// failing status. Exit status 1 when one fails.
  case test
  /// `--bench`: each `bench:NAME` probe, repeated until it has run for a millisecond, and the mean
  /// time of one run.
  case bench
}

extension Session {
  /// Runs the test or bench probes (BPF_PROG_TEST_RUN of their XDP programs) and prints what they
  /// did, as bpftrace's `--test` and `--bench` do; nothing attaches.
  func runTestsOrBenchmarks(_ object: BPFObject, _ reader: RingBufferReader) throws(BPFError) -> Int32 {
    try writeRunFacts(object)
    let bench = options.mode == .bench
    let probes = plan.probes.filter { p in
      if case .test = p.kind { return !bench }
      if case .bench = p.kind { return bench }
      return false
    }
    let names = probes.map { p -> String in
      switch p.kind {
      case .test(let name), .bench(let name): return name
      default: return p.name
      }
    }
    if bench { return try runBenchmarks(object, reader, probes, names) }
    var failed: [String] = []
    for (index, (p, name)) in zip(probes, names).enumerated() {
      if index == 0 { out.printf(color("[==========]", green: true) + " Running \(probes.count) tests.\n") }
      out.printf(color("[ RUN      ]", green: true) + " \(name)\n")
      // The test's own output is kept, and shown only when it fails (bpftrace's rule).
      let (result, captured) = try capturingOutput { () throws(BPFError) in
        let result = try program(object, p).testRun(repeat: 1)
        reader.consume()
        return result
      }
      let passed = result.returnValue == 0 && exitStatus == 0 && errorfCount == 0
      if passed {
        out.printf(color("[       OK ]", green: true) + " \(name)")
      } else {
        failed.append(name)
        for line in captured.split(separator: "\n") where !line.isEmpty { out.printf(line + "\n") }
        out.printf(color("[  FAILED  ]", green: false) + " \(name)")
      }
      out.printf(" (\(Self.durationText(UInt64(result.nanoseconds))))\n")
      resetAfterExit(object)
    }
    let testOrTests = { (n: Int) in n == 1 ? "test" : "tests" }
    out.printf(color("[==========]", green: true) + " \(probes.count) \(testOrTests(probes.count)) ran.\n")
    out.printf(color("[  PASSED  ]", green: true) + " \(probes.count - failed.count) \(testOrTests(probes.count - failed.count)).\n")
    if !failed.isEmpty {
      out.printf(color("[  FAILED  ]", green: false) + " \(failed.count) \(testOrTests(failed.count)), listed below:\n")
      for name in failed { out.printf(color("[  FAILED  ]", green: false) + " \(name)\n") }
    }
    out.flush()
    return failed.isEmpty ? 0 : 1
  }

  /// `--bench`: each bench probe repeated until its runs take a millisecond (ten, a hundred or a
  /// thousand times more runs while far from it, then twice as many), its output discarded; then
  /// the kernel's mean time of one run. A probe that returns non-zero is skipped; one that calls
  /// exit() with a failing status or errorf() fails the run.
  private func runBenchmarks(_ object: BPFObject, _ reader: RingBufferReader, _ probes: [RunPlan.Probe],
                             _ names: [String]) throws(BPFError) -> Int32 {
    let width = max(40, "Benchmark".count, names.map(\.count).max() ?? 0) + 1
    var status: Int32 = 0
    for (index, (p, name)) in zip(probes, names).enumerated() {
      if index == 0 {
        out.printf(Self.padded("Benchmark", width) + Self.padded("Time(ns)", 15) + "Iterations\n"
          + String(repeating: "-", count: width + 15 + "Iterations".count) + "\n")
      }
      var runs = 1
      while true {
        let (result, _) = try capturingOutput { () throws(BPFError) in
          let result = try program(object, p).testRun(repeat: runs)
          reader.consume()
          return result
        }
        if exitStatus == 0 && result.returnValue != 0 { break }  // skipped
        let total = UInt64(result.nanoseconds) * UInt64(runs)
        if total < 1_000_000 && runs < 100_000_000 {
          runs *= total < 1_000 ? 1_000 : total < 10_000 ? 100 : total < 100_000 ? 10 : 2
          continue
        }
        if exitStatus != 0 || errorfCount != 0 {
          FileOutput.standardError.write(SystemMessage.error("Benchmark '\(name)' failed."))
          status = 1
        } else {
          out.printf(Self.padded(name, width) + Self.padded(String(result.nanoseconds), 15) + "\(runs)\n")
        }
        break
      }
      resetAfterExit(object)
    }
    out.flush()
    return status
  }

  /// Runs BODY with the session's results and errorf()/warnf() messages going to memory, and
  /// returns what it printed.
  private func capturingOutput<T>(_ body: () throws(BPFError) -> T) throws(BPFError) -> (T, String) {
    exitRequested = false
    exitStatus = 0
    errorfCount = 0
    guard let file = tmpfile() else { return (try body(), "") }
    let fd = fileno(file)
    let capture = FileOutput(fd: fd)
    let (savedOut, savedMessages) = (out, messages)
    out = ResultWriter(format: options.format, out: capture)
    messages = capture
    defer {
      out = savedOut
      messages = savedMessages
      fclose(file)
    }
    let value = try body()
    capture.flush()
    var text: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    lseek(fd, 0, SEEK_SET)
    while true {
      let n = read(fd, &buffer, buffer.count)
      if n <= 0 { break }
      text += buffer[0..<n]
    }
    return (value, String(rawBytes: text))
  }

  /// exit() in one test or benchmark stops the others' programs (the stopped flag): set it back.
  private func resetAfterExit(_ object: BPFObject) {
    if exitRequested, let flag = object.map(named: ObjectSymbols.stoppedSection), flag.valueSize == 8 {
      _ = flag.update([0, 0, 0, 0], [UInt8](repeating: 0, count: 8))
    }
  }

  /// A duration as bpftrace prints a test's: in the largest unit it reaches (ns, μs, ms or s).
  static func durationText(_ nanoseconds: UInt64) -> String {
    for (scale, unit) in [(UInt64(1_000_000_000), "s"), (1_000_000, "ms"), (1_000, "μs")] where nanoseconds >= scale {
      return "\(nanoseconds / scale) \(unit)"
    }
    return "\(nanoseconds) ns"
  }

  static func padded(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

  /// A status word, green or red where messages are colored (BPFTRACE_COLOR).
  private func color(_ word: String, green: Bool) -> String {
    MessageStyle.colored ? "\u{1B}[\(green ? 32 : 31)m\(word)\u{1B}[0m" : word
  }
}
