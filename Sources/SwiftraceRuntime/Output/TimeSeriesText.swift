import Glibc

/// tseries as newer bpftrace draws it (its text output): a column of interval start times, a
/// 53-column graph between the smallest and largest value (a `.` column at zero when the range
/// crosses it, `*` at each value), the value after it, `-` for an interval with none.
public enum TimeSeriesText {
  static let graphWidth = 53
  static let labelPadding = 21

  public static func graph(_ points: MapSnapshot.SeriesPoints) -> String {
    let present = points.values.compactMap { $0 }
    guard let first = present.first else { return "<no data>\n" }
    let number = { (v: UInt64) -> Int128 in points.signed ? Int128(Int64(bitPattern: v)) : Int128(v) }
    var low = number(first), high = number(first)
    for v in present.map(number) {
      low = min(low, v)
      high = max(high, v)
    }
    if low == high {
      // Room on both sides of a flat line, within the type's range.
      let (lowest, highest): (Int128, Int128) = points.signed ? (Int128(Int64.min), Int128(Int64.max)) : (0, Int128(UInt64.max))
      if low > lowest { low -= 1 }
      if high < highest { high += 1 }
    }
    // The interval, from the first and last starts, chooses the time's precision.
    let interval = points.starts.count > 1
      ? (points.starts.last! - points.starts.first!) / UInt64(points.starts.count - 1) : 0
    let digits = interval >= 1_000_000_000 ? 0 : interval >= 1_000_000 ? 3 : interval >= 1_000 ? 6 : 9
    let unit = [0: "", 3: "ms", 6: "μs", 9: "ns"][digits]!
    let timeFormat = "hh:mm:ss" + (digits > 0 ? "." + unit : "")
    let timeSize = 8 + (digits > 0 ? 1 + digits : 0)
    let range = high - low
    var out = pad("", timeSize + 1) + pad(String(low), labelPadding) + padLeft(String(high), graphWidth - labelPadding) + "\n"
    out += pad(timeFormat, timeSize + 1) + "|" + String(repeating: "_", count: graphWidth - 2) + "|\n"
    var zeroColumn = 0
    if low < 0 && high > 0 {
      zeroColumn = Int(Float(graphWidth) * Float(-low) / Float(range))
    }
    let taiOffset = Self.taiOffset()
    for (start, value) in zip(points.starts, points.values) {
      var line = [Character](repeating: " ", count: graphWidth)
      line[0] = "|"
      line[graphWidth - 1] = "|"
      if zeroColumn > 0 { line[zeroColumn] = "." }
      out += timeText(Int64(bitPattern: start) - taiOffset, digits: digits) + " "
      if let value {
        var column = graphWidth / 2
        if range != 0 { column = Int(Float(graphWidth - 1) * Float(number(value) - low) / Float(range)) }
        line[max(0, min(graphWidth - 1, column))] = "*"
        out += String(line) + " " + String(number(value)) + "\n"
      } else {
        out += String(line) + " -\n"
      }
    }
    var bottom = [Character](repeating: "_", count: graphWidth)
    bottom[0] = "v"
    bottom[graphWidth - 1] = "v"
    out += pad("", timeSize) + " " + String(bottom) + "\n"
    out += pad("", timeSize) + " " + pad(String(low), labelPadding) + padLeft(String(high), graphWidth - labelPadding) + "\n"
    return out
  }

  /// CLOCK_TAI minus CLOCK_REALTIME: the TAI times BPF took, as wall-clock times.
  static func taiOffset() -> Int64 {
    var tai = timespec(), real = timespec()
    clock_gettime(CLOCK_TAI, &tai)
    clock_gettime(CLOCK_REALTIME, &real)
    let ns = (Int64(tai.tv_sec) - Int64(real.tv_sec)) * 1_000_000_000 + Int64(tai.tv_nsec) - Int64(real.tv_nsec)
    return (ns + 500_000_000) / 1_000_000_000 * 1_000_000_000  // whole seconds: the leap second count
  }

  /// Local time of NANOSECONDS since the epoch, `HH:MM:SS` and DIGITS digits of the second.
  static func timeText(_ nanoseconds: Int64, digits: Int) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    let fraction = nanoseconds % 1_000_000_000
    var parts = tm()
    localtime_r(&seconds, &parts)
    var text = two(parts.tm_hour) + ":" + two(parts.tm_min) + ":" + two(parts.tm_sec)
    if digits > 0 {
      let shown = String(fraction / Int64(pow(10, Double(9 - digits))))
      text += "." + String(repeating: "0", count: max(0, digits - shown.count)) + shown
    }
    return text
  }

  /// UTC `YYYY-MM-DD HH:MM:SS.NNNNNNNNN`, as bpftrace's JSON writes an interval's start.
  public static func utcText(_ taiNanoseconds: UInt64) -> String {
    let nanoseconds = Int64(bitPattern: taiNanoseconds) - taiOffset()
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let fraction = String(nanoseconds % 1_000_000_000)
    return "\(parts.tm_year + 1900)-" + two(parts.tm_mon + 1) + "-" + two(parts.tm_mday) + " " + two(parts.tm_hour) + ":"
      + two(parts.tm_min) + ":" + two(parts.tm_sec) + "." + String(repeating: "0", count: 9 - fraction.count) + fraction
  }

  static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
  // Widths in bytes, as C++'s setw counts them ("μs" is three).
  static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.utf8.count)) }
  static func padLeft(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.utf8.count)) + s }
}
