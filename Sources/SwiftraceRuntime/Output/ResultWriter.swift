import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceSema

/// `-f text` (bpftrace's default) or `-f json` (NDJSON).
public enum OutputFormat: String, CaseIterable, Sendable {
  case text, json
}

/// Everything a session prints goes through here, in the chosen format, to stdout or `-o FILE`.
struct ResultWriter {
  let format: OutputFormat
  let out: FileOutput

  func attached(probes n: Int) {
    switch format {
    case .text: out.write("Attaching \(n) probe\(n == 1 ? "" : "s")...\n")
    case .json: out.write(JSONPrinter.attachedProbes(n))
    }
  }

  /// A printf event: formatted straight into the output buffer in text mode.
  func printf(_ event: UnsafeRawBufferPointer, _ formatter: PrintfFormatter) {
    if format == .text {
      out.append { formatter.append(event, to: &$0) }
    } else {
      printf(formatter.format(event))
    }
  }

  func printf(_ text: String) {
    out.write(format == .json ? JSONPrinter.printf(text) : text)
  }

  func time(_ text: String) {
    out.write(format == .json ? "{\"type\": \"time\", \"data\": \(JSONPrinter.quote(text))}\n" : text)
  }

  /// join(): the text and a newline, or a JSON "join" record.
  func join(_ text: String) {
    out.write(format == .json ? "{\"type\": \"join\", \"data\": \(JSONPrinter.quote(text))}\n" : text + "\n")
  }

  /// cat(): the file's bytes as they are, or a JSON "cat" record.
  func cat(_ text: String) {
    out.write(format == .json ? "{\"type\": \"cat\", \"data\": \(JSONPrinter.quote(text))}\n" : text)
  }

  /// system(): the command's output, or a JSON "syscall" record (bpftrace's name for it).
  func system(_ text: String) {
    out.write(format == .json ? "{\"type\": \"syscall\", \"data\": \(JSONPrinter.quote(text))}\n" : text)
  }

  /// `-k`: a helper call failed. Text goes to stderr as a located warning; JSON is bpftrace's record.
  func helperError(_ helper: String, rc: Int64, range: SourceRange, source: SourceFile) {
    let (line, column) = source.lineAndColumn(of: range.start)
    if format == .json {
      out.write("{\"type\": \"helper_error\", \"helper\": \(JSONPrinter.quote(helper)), \"retcode\": \(rc), \"line\": \(line), \"col\": \(column)}\n")
      return
    }
    // bpftrace's words: an error code with its name, or the value that stands for failure.
    let message = rc < 0 ? "Failed to \(helper): \(String(cString: strerror(Int32(clamping: -rc)))) (\(rc))"
      : "Failed to \(helper): \(rc)"
    FileOutput.standardError.write(DiagnosticRenderer(source: source).render([
      Diagnostic(.warning, id: "runtime.helperError", message, at: range)
    ]))
  }

  /// Events the full ring buffer refused since the last report, as bpftrace 0.17 reports them.
  func lost(_ n: UInt64) {
    out.write(format == .json ? "{\"type\": \"lost_events\", \"data\": {\"events\": \(n)}}\n" : "Lost \(n) events\n")
  }

  func value(_ v: MapSnapshot.Value) {
    out.write(format == .json ? JSONPrinter.value(v) : TextPrinter.valueText(v) + "\n")
  }

  func map(_ snapshot: MapSnapshot, top: Int = 0, divisor: UInt64 = 0) {
    switch format {
    case .text: out.write(TextPrinter.print(snapshot, top: top, divisor: divisor))
    case .json: out.write(JSONPrinter.map(snapshot, top: top, divisor: divisor))
    }
  }

  /// The two newlines before the exit-time maps. 0.17 prints them in JSON mode too, which breaks
  /// NDJSON readers; like newer bpftrace, JSON output leaves them out.
  func endOfTrace() {
    if format == .text { out.write("\n\n") }
  }

  func flush() { out.flush() }
  func endOfBatch() { out.endOfBatch() }
  var readerGone: Bool { out.readerGone }
}
