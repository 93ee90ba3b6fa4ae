/// Durations as bpftrace 0.18 and later write them: a count with a unit suffix (`100ms`, `1s`),
/// in nanoseconds. `interval:1s` reads them; integer literals with these suffixes will too.
public enum Duration {
  /// Nanoseconds per unit, by suffix.
  public static let units: [(suffix: String, nanoseconds: UInt64)] = [
    ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
    ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
  ]

  /// TEXT's nanoseconds: digits (`_` may separate them), then a unit suffix or none (nanoseconds);
  /// nil when it is not one, or does not fit 64 bits.
  public static func nanoseconds(_ text: some StringProtocol) -> UInt64? {
    let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == "_") }
    let suffix = String(text.dropFirst(digits.count))
    guard let first = digits.first, first.isNumber, let n = UInt64(String(digits.filter { $0 != "_" })) else { return nil }
    guard let scale = suffix.isEmpty ? 1 : units.first(where: { $0.suffix == suffix })?.nanoseconds else { return nil }
    let (ns, overflow) = n.multipliedReportingOverflow(by: scale)
    return overflow ? nil : ns
  }
}
