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
    let buckets = HistogramBuckets(type: type, count: counts.count)
    var out = ""
    for index in first...last {
      let label: String
      if case .lhist = type {
        label = linearLabel(buckets.range(index))
      } else {
        label = log2Label(index, buckets.range(index))
      }
      let count = counts[index]
      let bar = String(repeating: "@", count: Int(UInt128(count) * UInt128(barWidth) / UInt128(most)))
      out += pad(label, 16) + leftPad(String(count), 8) + " |" + pad(bar, Int(barWidth)) + "|\n"
    }
    return out
  }

  /// `(..., 0)`, `[0]`, `[1]` (each value of a bucket of one), then `[2^n, 2^(n+1))`, or
  /// with hist(x, k) `[low, high)`, with K, M, G, T, P, E for multiples of powers of 1024.
  static func log2Label(_ index: Int, _ range: (low: Int128?, high: Int128?)) -> String {
    guard let low = range.low else { return "(..., 0)" }
    let high = range.high ?? low
    if high == low { return "[\(low)]" }
    return "[\(powerOfTwo(low)), \(powerOfTwo(high + 1)))"
  }

  /// A power of two in the largest unit of 1024 it is a whole number of (at most E).
  static func powerOfTwo(_ value: Int128) -> String {
    let suffixes = ["", "K", "M", "G", "T", "P", "E"]
    let unit = min(value.trailingZeroBitCount / 10, suffixes.count - 1)
    return "\(value >> (unit * 10))\(suffixes[unit])"
  }

  /// `(..., min)`, `[lo, hi)` per step, `[max, ...)`.
  static func linearLabel(_ range: (low: Int128?, high: Int128?)) -> String {
    guard let low = range.low else { return "(..., \(linearNumber((range.high ?? 0) + 1)))" }
    guard let high = range.high else { return "[\(linearNumber(low)), ...)" }
    return "[\(linearNumber(low)), \(linearNumber(high + 1)))"
  }

  /// 0.17 writes multiples of 1M and 1K with a suffix (and nothing larger).
  static func linearNumber(_ n: Int128) -> String {
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
