import Foundation
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
    let probes = checked.probes.filter { p in
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
    var failed: [String] = []
    var rows: [(String, UInt32)] = []
    if !bench { out.printf(color("[==========]", green: true) + " Running \(probes.count) test\(probes.count == 1 ? "" : "s").\n") }
    for (p, name) in zip(probes, names) {
      exitRequested = false
      exitStatus = 0
      if bench {
        // Ten times more runs until the total passes a millisecond: the kernel's mean is then
        // not one run's noise.
        var runs = 1, result = (returnValue: UInt32(0), nanoseconds: UInt32(0))
        while true {
          result = try program(object, p).testRun(repeat: runs)
          reader.consume()
          if UInt64(result.nanoseconds) * UInt64(runs) >= 1_000_000 || runs >= 10_000_000 { break }
          runs *= 10
        }
        rows.append((name, result.nanoseconds))
      } else {
        out.printf(color("[ RUN      ]", green: true) + " \(name)\n")
        out.flush()
        let result = try program(object, p).testRun(repeat: 1)
        reader.consume()
        let passed = result.returnValue == 0 && exitStatus == 0
        if !passed { failed.append(name) }
        out.printf(color(passed ? "[       OK ]" : "[  FAILED  ]", green: passed) + " \(name)\n")
      }
      // exit() in one test stops the others' programs (the stopped flag): set it back.
      if exitRequested, let flag = object.map(named: ObjectSymbols.stoppedSection), flag.valueSize == 8 {
        _ = flag.update([0, 0, 0, 0], [UInt8](repeating: 0, count: 8))
      }
    }
    if bench {
      let width = max("BENCHMARK".count, rows.map(\.0.count).max() ?? 0)
      let line = "+-" + String(repeating: "-", count: width) + "-+-------------+\n"
      var table = line + "| " + "BENCHMARK".padding(toLength: width, withPad: " ", startingAt: 0) + " | NANOSECONDS |\n" + line
      for (name, ns) in rows {
        table += "| " + name.padding(toLength: width, withPad: " ", startingAt: 0) + " | "
          + String(repeating: " ", count: max(0, 11 - String(ns).count)) + "\(ns) |\n"
      }
      out.printf(table + line)
      out.flush()
      return 0
    }
    out.printf(color("[==========]", green: true) + " \(probes.count) test\(probes.count == 1 ? "" : "s") ran.\n")
    out.printf(color("[  PASSED  ]", green: true) + " \(probes.count - failed.count) test\(probes.count - failed.count == 1 ? "" : "s").\n")
    if !failed.isEmpty {
      out.printf(color("[  FAILED  ]", green: false) + " \(failed.count) test\(failed.count == 1 ? "" : "s"), listed below:\n")
      for name in failed { out.printf(color("[  FAILED  ]", green: false) + " \(name)\n") }
    }
    out.flush()
    return failed.isEmpty ? 0 : 1
  }

  /// A status word, green or red where messages are colored (BPFTRACE_COLOR).
  private func color(_ word: String, green: Bool) -> String {
    MessageStyle.colored ? "\u{1B}[\(green ? 32 : 31)m\(word)\u{1B}[0m" : word
  }
}
