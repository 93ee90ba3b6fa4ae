extension StringProtocol {
  /// The text without leading and trailing spaces and tabs (Foundation's
  /// `trimmingCharacters(in: .whitespaces)`, which would pull Foundation and ICU into every run).
  public func trimmingSpaces() -> String {
    trimming { $0 == " " || $0 == "\t" }
  }

  /// The text without the leading and trailing characters `isSpace` picks.
  public func trimming(_ isSpace: (Character) -> Bool) -> String {
    guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
      return ""
    }
    return String(self[first...last])
  }
}

/// 250012 as "250,012".
public func groupedDigits(_ n: Int) -> String {
  var digits = String(n.magnitude)
  var i = digits.count - 3
  while i > 0 {
    digits.insert(",", at: digits.index(digits.startIndex, offsetBy: i))
    i -= 3
  }
  return (n < 0 ? "-" : "") + digits
}
