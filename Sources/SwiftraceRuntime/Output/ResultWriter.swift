import Glibc
import SwiftraceBasics
import SwiftraceBPF
import SwiftraceSema

/// `-f text` (bpftrace's default) or `-f json` (NDJSON).
extension OutputFormat {
  /// How results look in this format (bpftrace's Output interface): a new format is a case here
  /// and one type that implements every record.
  var records: any ResultRecords {
    switch self {
    case .text: return TextRecords()
    case .json: return JSONRecords()
    }
  }
}

/// The text of each kind of result a session prints, in one format.
protocol ResultRecords {
  func attached(probes n: Int) -> String
  /// A printf event, written straight into the output buffer.
  func printf(_ event: UnsafeRawBufferPointer, _ formatter: PrintfFormatter, to out: inout [UInt8])
  /// Text a printf-like source made (an iterator's seq_printf output).
  func printf(_ text: String) -> String
  func time(_ text: String) -> String
  /// join(): the joined strings.
  func join(_ text: String) -> String
  /// cat(): the file's bytes.
  func cat(_ text: String) -> String
  /// system(): the command's output.
  func system(_ text: String) -> String
  /// `-k`: a failed helper call; nil when the format reports it on stderr instead.
  func helperError(_ helper: String, rc: Int64, line: Int, column: Int) -> String?
  /// Events the full ring buffer refused since the last report, as bpftrace 0.17 reports them.
  func lost(_ n: UInt64) -> String
  func value(_ v: MapSnapshot.Value) -> String
  func map(_ snapshot: MapSnapshot, top: Int, divisor: UInt64) -> String
  /// What comes between the trace and the exit-time maps.
  var endOfTrace: String { get }
}

struct TextRecords: ResultRecords {
  func attached(probes n: Int) -> String { "Attaching \(n) probe\(n == 1 ? "" : "s")...\n" }
  func printf(_ event: UnsafeRawBufferPointer, _ formatter: PrintfFormatter, to out: inout [UInt8]) {
    formatter.append(event, to: &out)
  }
  func printf(_ text: String) -> String { text }
  func time(_ text: String) -> String { text }
  func join(_ text: String) -> String { text + "\n" }
  func cat(_ text: String) -> String { text }
  func system(_ text: String) -> String { text }
  func helperError(_ helper: String, rc: Int64, line: Int, column: Int) -> String? { nil }
  func lost(_ n: UInt64) -> String { "Lost \(n) events\n" }
  func value(_ v: MapSnapshot.Value) -> String { TextPrinter.valueText(v) + "\n" }
  func map(_ snapshot: MapSnapshot, top: Int, divisor: UInt64) -> String {
    TextPrinter.print(snapshot, top: top, divisor: divisor)
  }
  var endOfTrace: String { "\n\n" }
}

struct JSONRecords: ResultRecords {
  func attached(probes n: Int) -> String { JSONPrinter.attachedProbes(n) }
  func printf(_ event: UnsafeRawBufferPointer, _ formatter: PrintfFormatter, to out: inout [UInt8]) {
    out.append(contentsOf: printf(formatter.format(event)).rawBytes)
  }
  func printf(_ text: String) -> String { JSONPrinter.printf(text) }
  func time(_ text: String) -> String { record("time", text) }
  func join(_ text: String) -> String { record("join", text) }
  func cat(_ text: String) -> String { record("cat", text) }
  /// bpftrace's name for system()'s record.
  func system(_ text: String) -> String { record("syscall", text) }
  func helperError(_ helper: String, rc: Int64, line: Int, column: Int) -> String? {
    "{\"type\": \"helper_error\", \"helper\": \(JSONPrinter.quote(helper)), \"retcode\": \(rc), \"line\": \(line), \"col\": \(column)}\n"
  }
  func lost(_ n: UInt64) -> String { "{\"type\": \"lost_events\", \"data\": {\"events\": \(n)}}\n" }
  func value(_ v: MapSnapshot.Value) -> String { JSONPrinter.value(v) }
  func map(_ snapshot: MapSnapshot, top: Int, divisor: UInt64) -> String {
    JSONPrinter.map(snapshot, top: top, divisor: divisor)
  }
  /// 0.17 prints two newlines here in JSON mode too, which breaks NDJSON readers; like newer
  /// bpftrace, JSON output leaves them out.
  var endOfTrace: String { "" }

  private func record(_ type: String, _ text: String) -> String {
    "{\"type\": \"\(type)\", \"data\": \(JSONPrinter.quote(text))}\n"
  }
}

/// Everything a session prints goes through here, in the chosen format, to stdout or `-o FILE`.
struct ResultWriter {
  let records: any ResultRecords
  let out: FileOutput

  init(format: OutputFormat, out: FileOutput) {
    records = format.records
    self.out = out
  }

  func attached(probes n: Int) { out.write(records.attached(probes: n)) }
  func printf(_ event: UnsafeRawBufferPointer, _ formatter: PrintfFormatter) {
    out.append { records.printf(event, formatter, to: &$0) }
  }
  func printf(_ text: String) { out.write(records.printf(text)) }
  func time(_ text: String) { out.write(records.time(text)) }
  func join(_ text: String) { out.write(records.join(text)) }
  func cat(_ text: String) { out.write(records.cat(text)) }
  func system(_ text: String) { out.write(records.system(text)) }

  /// `-k`: a helper call failed. Where the format has no record for it, a located warning on
  /// stderr, in bpftrace's words.
  func helperError(_ helper: String, rc: Int64, range: SourceRange, source: SourceFile) {
    let (line, column) = source.lineAndColumn(of: range.start)
    if let record = records.helperError(helper, rc: rc, line: line, column: column) {
      out.write(record)
      return
    }
    // An error code with its name, or the value that stands for failure.
    let message = rc < 0 ? "Failed to \(helper): \(String(cString: strerror(Int32(clamping: -rc)))) (\(rc))"
      : "Failed to \(helper): \(rc)"
    FileOutput.standardError.write(DiagnosticRenderer(source: source).render([
      Diagnostic(.warning, id: .runtimeHelperError, message, at: range)
    ]))
  }

  func lost(_ n: UInt64) { out.write(records.lost(n)) }
  func value(_ v: MapSnapshot.Value) { out.write(records.value(v)) }
  func map(_ snapshot: MapSnapshot, top: Int = 0, divisor: UInt64 = 0) {
    out.write(records.map(snapshot, top: top, divisor: divisor))
  }
  func endOfTrace() { out.write(records.endOfTrace) }

  func flush() { out.flush() }
  func endOfBatch() { out.endOfBatch() }
  var readerGone: Bool { out.readerGone }
}
