import SwiftraceSema

/// The buckets of a hist() or lhist() map, declared once: the integers each bucket holds. The
/// text rows, the JSON ranges and the OpenMetrics bounds all read them here.
struct HistogramBuckets {
  let type: SType
  /// How many buckets the map's value has.
  let count: Int

  /// The smallest and largest integer bucket `index` holds; nil for an open end. Int128, since
  /// the last log2 bucket ends at 2^64 - 1 and a linear one may pass Int64's range.
  func range(_ index: Int) -> (low: Int128?, high: Int128?) {
    if case .lhist(let b) = type {
      if index == 0 { return (nil, Int128(b.min) - 1) }
      if index == count - 1 { return (Int128(b.max), nil) }
      let low = Int128(b.min) + Int128(index - 1) * Int128(b.step)
      return (low, low + Int128(b.step) - 1)
    }
    // Log2Buckets: negative values, single values below 2^k, then 2^k buckets per power of two.
    let k = { if case .hist(let k) = type { return k } else { return 0 } }()
    let range = Log2Buckets.range(index, k: k)
    return (range.low, range.high)
  }
}
