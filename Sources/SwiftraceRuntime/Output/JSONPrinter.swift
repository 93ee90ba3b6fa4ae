import SwiftraceBasics
import SwiftraceSema

/// bpftrace 0.17's `-f json` output: one JSON object per line (NDJSON), with its key order and
/// spacing (`{"type": "map", "data": {...}}`), so that tools written for bpftrace parse ours.
public enum JSONPrinter {
  public static func attachedProbes(_ n: Int) -> String {
    "{\"type\": \"attached_probes\", \"data\": {\"probes\": \(n)}}\n"
  }

  public static func printf(_ text: String) -> String {
    "{\"type\": \"printf\", \"data\": \(quote(text))}\n"
  }

  public static func value(_ v: MapSnapshot.Value) -> String {
    "{\"type\": \"value\", \"data\": \(valueJSON(v))}\n"
  }

  /// One line for the map, or nothing when it is empty (as bpftrace does).
  public static func map(_ snapshot: MapSnapshot, top: Int = 0, divisor: UInt64 = 0) -> String {
    let entries = TextPrinter.selected(snapshot, top: top, divisor: divisor)
    guard !entries.isEmpty else { return "" }
    let info = snapshot.info
    let type: String
    switch info.valueType {
    case .hist, .lhist: type = "hist"
    case .tseries: type = "tseries"
    case .avg, .stats: type = "stats"
    default: type = "map"
    }
    func body(_ v: MapSnapshot.Value) -> String {
      if case .histogram(let counts) = v { return histogramJSON(counts, info.valueType) }
      return valueJSON(v)
    }
    let data: String
    if info.isScalar {
      data = body(entries[0].value)
    } else {
      data = "{" + entries.map { entry in
        quote(entry.key.map(TextPrinter.keyText).joined(separator: ",")) + ": " + body(entry.value)
      }.joined(separator: ", ") + "}"
    }
    return "{\"type\": \"\(type)\", \"data\": {\(quote(info.name)): \(data)}}\n"
  }

  static func valueJSON(_ v: MapSnapshot.Value) -> String {
    switch v {
    case .integer(let x, let signed), .aggregate(let x, let signed):
      return signed ? String(Int64(bitPattern: x)) : String(x)
    case .pointer(let x):
      return String(x)
    case .boolean(let b):
      return b ? "true" : "false"
    case .string(let s), .probe(let s):
      return quote(s)
    case .average(let count, let total):
      return String(TextPrinter.mean(total, count))
    case .stats(let count, let total):
      return "{\"count\": \(count), \"average\": \(TextPrinter.mean(total, count)), \"total\": \(total)}"
    case .tuple(let elements):
      return "[" + elements.map(valueJSON).joined(separator: ",") + "]"
    case .array(let values):
      return "[" + values.map(valueJSON).joined(separator: ",") + "]"
    case .record(let names, let values):
      return "{ " + zip(names, values).map { "\(quote($0)): \(valueJSON($1))" }.joined(separator: ", ") + " }"
    case .histogram:
      return "[]"
    case .timeSeries(let points):
      // Intervals with a value: {"interval_start":"2026-12-07 16:10:00.100000000","value":3}.
      return "[" + zip(points.starts, points.values).compactMap { start, value in
        value.map { "{\"interval_start\":\"\(TimeSeriesText.utcText(start))\",\"value\":"
          + (points.signed ? String(Int64(bitPattern: $0)) : String($0)) + "}" }
      }.joined(separator: ",") + "]"
    }
  }

  /// Buckets from the first non-empty to the last, as closed ranges: `{"min": 4, "max": 7, ...}`;
  /// the open ends have only `max` or only `min`.
  static func histogramJSON(_ counts: [UInt64], _ type: SType) -> String {
    guard let first = counts.firstIndex(where: { $0 != 0 }), let last = counts.lastIndex(where: { $0 != 0 }) else {
      return "[]"
    }
    let buckets = (first...last).map { index -> String in
      let (low, high) = bucketRange(index, type, buckets: counts.count)
      var fields: [String] = []
      if let low { fields.append("\"min\": \(low)") }
      if let high { fields.append("\"max\": \(high)") }
      fields.append("\"count\": \(counts[index])")
      return "{" + fields.joined(separator: ", ") + "}"
    }
    return "[" + buckets.joined(separator: ", ") + "]"
  }

  /// The smallest and largest value a bucket holds; nil for an open end.
  static func bucketRange(_ index: Int, _ type: SType, buckets: Int) -> (String?, String?) {
    let (low, high) = HistogramBuckets(type: type, count: buckets).range(index)
    return (low.map { String($0) }, high.map { String($0) })
  }

  /// A JSON string: quotes, backslashes and control characters escaped. A byte that is not part of
  /// UTF-8 is written `\udcXX`, the lone surrogate Python's `surrogateescape` reads back as that
  /// byte: the line stays valid JSON text and the byte is not mistaken for a character (0.17 writes
  /// `\uffffffXX`, which no parser accepts).
  public static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if let byte = RawBytes.escapedByte(scalar) {
          out += "\\udc" + byte.twoHexDigits
        } else if scalar.value < 0x20 {
          out += "\\u00" + UInt8(scalar.value).twoHexDigits
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
