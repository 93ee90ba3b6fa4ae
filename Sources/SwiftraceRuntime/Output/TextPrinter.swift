import SwiftraceBasics
import SwiftraceSema

/// bpftrace 0.17's text output for maps: `@name[k1, k2]: value` lines, sorted the way 0.17 sorts
/// them, each map ending in a newline (two for avg maps), an empty map as a blank line.
public enum TextPrinter {
  /// `top` keeps only the last (largest) entries, `divisor` divides counts and values, as in
  /// `print(@m, top, divisor)`; 0 leaves them alone.
  public static func print(_ snapshot: MapSnapshot, top: Int = 0, divisor: UInt64 = 0) -> String {
    let entries = selected(snapshot, top: top, divisor: divisor)
    let info = snapshot.info
    func label(_ entry: MapSnapshot.Entry) -> String {
      info.name + (info.isScalar ? "" : "[" + entry.key.map(keyText).joined(separator: ", ") + "]")
    }
    if case .tseries = info.valueType {
      // Each key: its name line, the graph, a blank line (keys in order of their latest interval).
      if snapshot.entries.isEmpty { return "\n" }
      return snapshot.entries.map { entry in
        guard case .timeSeries(let points) = entry.value else { return "" }
        return "\(label(entry)):\n" + TimeSeriesText.graph(points) + "\n"
      }.joined()
    }
    if info.valueType.isHistogram {
      // Each key: a header with 0.17's trailing space, the rows, a blank line. Empty: a newline.
      if entries.isEmpty { return "\n" }
      return entries.map { entry in
        guard case .histogram(let counts) = entry.value else { return "" }
        return "\(label(entry)): \n" + HistogramText.rows(counts, of: info.valueType) + "\n"
      }.joined()
    }
    var out = entries.map { "\(label($0)): \(valueText($0.value))" }.joined(separator: "\n") + "\n"
    switch info.valueType {
    case .avg, .stats: out += "\n"
    default: break
    }
    return out
  }

  /// The entries in print order, the `top` largest only, values divided by `divisor`.
  static func selected(_ snapshot: MapSnapshot, top: Int, divisor: UInt64) -> [MapSnapshot.Entry] {
    var entries = sorted(snapshot)
    if top > 0 && entries.count > top { entries.removeFirst(entries.count - top) }
    if divisor > 0 { entries = entries.map { .init(key: $0.key, value: divide($0.value, by: divisor)) } }
    return entries
  }

  static func divide(_ v: MapSnapshot.Value, by d: UInt64) -> MapSnapshot.Value {
    switch v {
    case .integer(let x, let signed), .aggregate(let x, let signed):
      let q = signed ? UInt64(bitPattern: Self.signedQuotient(Int64(bitPattern: x), by: d)) : x / d
      if case .integer = v { return .integer(q, signed: signed) }
      return .aggregate(q, signed: signed)
    case .average(let count, let total):
      return .average(count: count, total: Self.signedQuotient(total, by: d))
    case .histogram(let counts):
      return .histogram(counts.map { $0 / d })
    default:
      return v  // stats, strings and tuples print as they are
    }
  }

  /// A signed value divided by print()'s divisor, which is unsigned as in bpftrace (`-1` is
  /// 2^64 - 1): never a trap, whatever the map holds (INT64_MIN / -1 trapped).
  static func signedQuotient(_ x: Int64, by d: UInt64) -> Int64 {
    guard d <= UInt64(Int64.max) else { return x == .min && d == 1 << 63 ? -1 : 0 }
    return x / Int64(d)
  }

  /// An average's or stats' mean: total / count, 0 for no count, never a trap (a count read back
  /// from the kernel is whatever the map holds).
  static func mean(_ total: Int64, _ count: Int64) -> Int64 {
    count == 0 ? 0 : total.dividedReportingOverflow(by: count).partialValue
  }

  /// Integer-like values sort ascending by value, averages by average, everything else by key.
  /// Entries are first put in key order so that ties print the same way every run.
  static func sorted(_ snapshot: MapSnapshot) -> [MapSnapshot.Entry] {
    let byKey = snapshot.entries.sorted { keyLess($0.key, $1.key) }
    switch snapshot.info.valueType {
    case .string, .probe, .tuple:
      return byKey
    default:
      return byKey.enumerated().sorted { a, b in
        let (x, y) = (sortValue(a.element.value), sortValue(b.element.value))
        return x != y ? x < y : a.offset < b.offset
      }.map(\.element)
    }
  }

  /// A sortable number: signed values are shifted so that unsigned comparison orders them.
  static func sortValue(_ v: MapSnapshot.Value) -> UInt64 {
    switch v {
    case .integer(let x, let signed), .aggregate(let x, let signed):
      return signed ? x ^ (1 << 63) : x
    case .pointer(let x):
      return x
    case .boolean(let b):
      return b ? 1 : 0
    case .average(let count, let total), .stats(let count, let total):
      return UInt64(bitPattern: mean(total, count)) ^ (1 << 63)
    case .histogram(let counts):
      return counts.reduce(0, &+)
    case .string, .probe, .tuple, .array, .record, .timeSeries:
      return 0
    }
  }

  /// 0.17 compares integer keys as unsigned and strings bytewise.
  static func keyLess(_ a: [MapSnapshot.KeyPart], _ b: [MapSnapshot.KeyPart]) -> Bool {
    for (x, y) in zip(a, b) {
      switch (x, y) {
      case (.integer(let p, _), .integer(let q, _)) where p != q: return p < q
      case (.string(let p), .string(let q)) where p != q: return p.rawBytes.lexicographicallyPrecedes(q.rawBytes)
      case (.probe(let p), .probe(let q)) where p != q: return p < q
      case (.pointer(let p), .pointer(let q)) where p != q: return p < q
      default: continue
      }
    }
    return false
  }

  /// A struct in a map key, as bpftrace 0.17 prints it there: `{.m=2,.n=3}`.
  static func keyText(_ v: MapSnapshot.Value) -> String {
    guard case .record(let names, let values) = v else { return valueText(v) }
    return "{" + zip(names, values).map { ".\($0)=\(keyText($1))" }.joined(separator: ",") + "}"
  }

  static func keyText(_ k: MapSnapshot.KeyPart) -> String {
    switch k {
    case .integer(let v, let signed): return signed ? String(Int64(bitPattern: v)) : String(v)
    case .string(let s), .probe(let s): return s
    case .pointer(let x): return "0x" + String(x, radix: 16)
    }
  }

  static func valueText(_ v: MapSnapshot.Value) -> String {
    switch v {
    case .integer(let x, let signed), .aggregate(let x, let signed):
      return signed ? String(Int64(bitPattern: x)) : String(x)
    case .string(let s), .probe(let s):
      return s
    case .boolean(let b):
      return b ? "true" : "false"
    case .average(let count, let total):
      return String(mean(total, count))
    case .stats(let count, let total):
      return "count \(count), average \(mean(total, count)), total \(total)"
    case .histogram, .timeSeries:
      return ""  // printed by HistogramText, TimeSeriesText
    case .tuple(let elements):
      return "(" + elements.map(valueText).joined(separator: ", ") + ")"
    case .pointer(let x):
      return String(x)
    case .array(let values):
      return "[" + values.map(valueText).joined(separator: ",") + "]"
    case .record(let names, let values):
      return "{ " + zip(names, values).map { ".\($0) = \(valueText($1))" }.joined(separator: ", ") + " }"
    }
  }
}
