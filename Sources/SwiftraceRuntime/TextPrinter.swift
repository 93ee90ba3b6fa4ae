import SwiftraceSema

/// bpftrace 0.17's text output for maps: `@name[k1, k2]: value` lines, sorted the way 0.17 sorts
/// them, each map ending in a newline (two for avg maps), an empty map as a blank line.
public enum TextPrinter {
  public static func print(_ snapshot: MapSnapshot) -> String {
    let entries = sorted(snapshot)
    let lines = entries.map { entry in
      let key = snapshot.info.isScalar ? "" : "[" + entry.key.map(keyText).joined(separator: ", ") + "]"
      return "\(snapshot.info.name)\(key): \(valueText(entry.value))"
    }
    var out = lines.joined(separator: "\n") + "\n"
    if case .avg = snapshot.info.valueType { out += "\n" }
    return out
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
    case .average(let count, let total):
      return UInt64(bitPattern: total / count) ^ (1 << 63)
    case .string, .probe, .tuple:
      return 0
    }
  }

  /// 0.17 compares integer keys as unsigned and strings bytewise.
  static func keyLess(_ a: [MapSnapshot.KeyPart], _ b: [MapSnapshot.KeyPart]) -> Bool {
    for (x, y) in zip(a, b) {
      switch (x, y) {
      case (.integer(let p, _), .integer(let q, _)) where p != q: return p < q
      case (.string(let p), .string(let q)) where p != q: return Array(p.utf8).lexicographicallyPrecedes(q.utf8)
      case (.probe(let p), .probe(let q)) where p != q: return p < q
      default: continue
      }
    }
    return false
  }

  static func keyText(_ k: MapSnapshot.KeyPart) -> String {
    switch k {
    case .integer(let v, let signed): return signed ? String(Int64(bitPattern: v)) : String(v)
    case .string(let s), .probe(let s): return s
    }
  }

  static func valueText(_ v: MapSnapshot.Value) -> String {
    switch v {
    case .integer(let x, let signed), .aggregate(let x, let signed):
      return signed ? String(Int64(bitPattern: x)) : String(x)
    case .string(let s), .probe(let s):
      return s
    case .average(let count, let total):
      return String(total / count)
    case .tuple(let elements):
      return "(" + elements.map(valueText).joined(separator: ", ") + ")"
    case .pointer(let x):
      return "0x" + String(x, radix: 16)
    }
  }
}
