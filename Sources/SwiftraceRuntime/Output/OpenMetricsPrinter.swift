import SwiftraceBasics
import SwiftraceSema

/// Maps as OpenMetrics text (https://openmetrics.io), or as Prometheus' older text format (0.0.4)
/// for clients that do not ask for OpenMetrics, for `--metrics`: every map is a metric family
/// named `swiftrace_` plus the map's name (`@` alone is `swiftrace_map`), its keys are labels
/// (`key`, or `key0`, `key1`, ... for several), and its values are
/// - count(): a counter (`..._total`),
/// - sum(), min(), max(), avg() and plain integers: gauges,
/// - stats(): a summary (`..._count`, `..._sum`),
/// - hist() and lhist(): histograms with cumulative `le` buckets up to the highest used one, and +Inf.
/// Maps of strings, stacks or tuples have no number to show and are left out.
public enum OpenMetricsPrinter {
  public enum Format: Sendable {
    case openMetrics
    /// Prometheus text 0.0.4: a counter's family is named with its `_total`, and no `# EOF`.
    case prometheusText

    public var contentType: String {
      switch self {
      case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
      case .prometheusText: return "text/plain; version=0.0.4; charset=utf-8"
      }
    }

    /// OpenMetrics when the client's Accept header lists it (Prometheus does), else the older format.
    public init(accept: String?) {
      self = accept?.contains("application/openmetrics-text") == true ? .openMetrics : .prometheusText
    }
  }

  public static func print(_ snapshots: [MapSnapshot], format: Format = .openMetrics) -> String {
    var out = ""
    for snapshot in snapshots { family(snapshot, format: format, into: &out) }
    return format == .openMetrics ? out + "# EOF\n" : out
  }

  /// `swiftrace_` + the map name with characters outside [a-zA-Z0-9_] replaced.
  public static func metricName(_ mapName: String) -> String {
    let bare = mapName.hasPrefix("@") ? String(mapName.dropFirst()) : mapName
    let safe = bare.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? String($0) : "_" }.joined()
    return "swiftrace_" + (safe.isEmpty ? "map" : safe)
  }

  static func family(_ snapshot: MapSnapshot, format: Format, into out: inout String) {
    let name = metricName(snapshot.info.name)
    let type: String
    switch snapshot.info.valueType {
    case .count: type = "counter"
    case .stats: type = "summary"
    case .hist, .lhist: type = "histogram"
    case .sum, .min, .max, .avg, .integer: type = "gauge"
    default: return
    }
    let familyName = type == "counter" && format == .prometheusText ? name + "_total" : name
    out += "# HELP \(familyName) swiftrace map \(snapshot.info.name)\n"
    out += "# TYPE \(familyName) \(type)\n"
    for entry in snapshot.entries.sorted(by: { TextPrinter.keyLess($0.key, $1.key) }) {
      let labels = entry.key.enumerated().map { i, part in
        (entry.key.count == 1 ? "key" : "key\(i)", TextPrinter.keyText(part))
      }
      switch entry.value {
      case .aggregate(let v, let signed), .integer(let v, let signed):
        let number = signed ? String(Int64(bitPattern: v)) : String(v)
        out += sample(type == "counter" ? name + "_total" : name, labels, number)
      case .average(let count, let total):
        out += sample(name, labels, String(TextPrinter.mean(total, count)))
      case .stats(let count, let total):
        out += sample(name + "_count", labels, String(count))
        out += sample(name + "_sum", labels, String(total))
      case .histogram(let counts):
        histogram(name, labels, counts, upperBounds: upperBounds(snapshot.info.valueType, buckets: counts.count),
                  into: &out)
      default:
        continue
      }
    }
  }

  /// The inclusive upper bound of every bucket but the last (+Inf): values are integers, so
  /// `[lo, hi)` holds exactly the values `<= hi - 1`.
  static func upperBounds(_ type: SType, buckets: Int) -> [String] {
    let model = HistogramBuckets(type: type, count: buckets)
    return (0..<(buckets - 1)).map { model.range($0).high.map { String($0) } ?? "+Inf" }
  }

  static func histogram(_ name: String, _ labels: [(String, String)], _ counts: [UInt64], upperBounds: [String],
                        into out: inout String) {
    let last = counts.lastIndex { $0 != 0 } ?? 0
    var cumulative: UInt64 = 0
    for index in 0..<min(last + 1, upperBounds.count) {
      cumulative &+= counts[index]
      out += sample(name + "_bucket", labels + [("le", upperBounds[index])], String(cumulative))
    }
    let total = counts.reduce(0, &+)
    out += sample(name + "_bucket", labels + [("le", "+Inf")], String(total))
    out += sample(name + "_count", labels, String(total))
  }

  static func sample(_ name: String, _ labels: [(String, String)], _ value: String) -> String {
    guard !labels.isEmpty else { return "\(name) \(value)\n" }
    return name + "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "} " + value + "\n"
  }

  /// Label values escape backslash, double quote and newline. The exposition format is UTF-8, so a
  /// byte that is not part of UTF-8 is written as the text `\xNN` (keys differing only in such bytes
  /// stay distinct series).
  static func escape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default:
        if let byte = RawBytes.escapedByte(scalar) {
          out += "\\\\x" + byte.twoHexDigits
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}
