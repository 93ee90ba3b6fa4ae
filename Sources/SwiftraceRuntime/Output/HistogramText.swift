import SwiftraceSema

/// hist() and lhist() rows as bpftrace 0.17 draws them: a label in 16 columns, the count in 8,
/// and a bar of `@` scaled so that the largest bucket fills 52 columns. Rows run from the first
/// non-empty bucket to the last; the empty ones between them are drawn too.
public enum HistogramText {
  public static let barWidth: UInt64 = 52

  public static func rows(_ counts: [UInt64], of type: SType) -> String {
    guard let first = counts.firstIndex(where: { $0 != 0 }), let last = counts.lastIndex(where: { $0 != 0 }) else {
      return ""
    }
    let most = counts.max() ?? 1
    var out = ""
    for index in first...last {
      let label: String
      if case .lhist(let bounds) = type {
        label = linearLabel(index, bounds, buckets: counts.count)
      } else {
        label = log2Label(index)
      }
      let count = counts[index]
      let bar = String(repeating: "@", count: Int(UInt128(count) * UInt128(barWidth) / UInt128(most)))
      out += pad(label, 16) + leftPad(String(count), 8) + " |" + pad(bar, Int(barWidth)) + "|\n"
    }
    return out
  }

  /// `(..., 0)`, `[0]`, `[1]`, then `[2^k, 2^(k+1))` with K, M, G, T, P, E for powers of 1024.
  public static func log2Label(_ index: Int) -> String {
    switch index {
    case 0: return "(..., 0)"
    case 1: return "[0]"
    case 2: return "[1]"
    default: return "[\(powerOfTwo(index - 2)), \(powerOfTwo(index - 1)))"
    }
  }

  static func powerOfTwo(_ exponent: Int) -> String {
    let suffixes = ["", "K", "M", "G", "T", "P", "E"]
    let unit = min(exponent / 10, suffixes.count - 1)
    return "\(UInt64(1) << UInt64(exponent - unit * 10))\(suffixes[unit])"
  }

  /// `(..., min)`, `[lo, hi)` per step, `[max, ...)`.
  public static func linearLabel(_ index: Int, _ bounds: LinearBuckets, buckets: Int) -> String {
    if index == 0 { return "(..., \(linearNumber(bounds.min)))" }
    if index == buckets - 1 { return "[\(linearNumber(bounds.max)), ...)" }
    let lo = bounds.min + Int64(index - 1) * bounds.step
    return "[\(linearNumber(lo)), \(linearNumber(lo + bounds.step)))"
  }

  /// 0.17 writes multiples of 1M and 1K with a suffix (and nothing larger).
  static func linearNumber(_ n: Int64) -> String {
    if n == 0 { return "0" }
    if n % (1 << 20) == 0 { return "\(n >> 20)M" }
    if n % (1 << 10) == 0 { return "\(n >> 10)K" }
    return String(n)
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }

  static func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
  }
}
