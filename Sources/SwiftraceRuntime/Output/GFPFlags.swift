import SwiftraceBasics
import Glibc

/// `%gr`: GFP (get free pages) flags by the running kernel's own names, as its kmem tracepoints
/// print them (`GFP_KERNEL|__GFP_ZERO`). The table is the one in the print format of
/// tracefs's kmem/kmalloc event, whose C expressions (`(( gfp_t)((((1UL))) << (10)))`) are
/// evaluated here: composite names come first there, so the largest matching names win.
enum GFPFlags {
  /// (mask, name) in the kernel's order; empty when tracefs cannot be read.
  static let table: [(UInt64, String)] = {
    for root in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
      // Read to the end: tracefs files have no size for Foundation to go by.
      guard let file = fopen(root + "/events/kmem/kmalloc/format", "r") else { continue }
      defer { fclose(file) }
      var bytes: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
      }
      return parse(String(decoding: bytes, as: UTF8.self))
    }
    return []
  }()

  /// The flags as the kernel's __print_flags writes them: each name whose mask is wholly set, in
  /// the table's order, taking its bits; what is left in hexadecimal; `none` for no flag.
  static func text(_ flags: UInt64) -> String {
    if flags == 0 { return "none" }
    guard !table.isEmpty else { return "0x" + String(flags, radix: 16) }
    var left = flags
    var names: [String] = []
    for (mask, name) in table where mask != 0 && left & mask == mask {
      names.append(name)
      left &= ~mask
    }
    if left != 0 { names.append("0x" + String(left, radix: 16)) }
    return names.joined(separator: "|")
  }

  /// The `{(unsigned long)EXPRESSION, "NAME"}` entries of the gfp_flags __print_flags.
  static func parse(_ format: String) -> [(UInt64, String)] {
    guard let start = format.firstRange(of: "__print_flags(REC->gfp_flags, \"|\",") else { return [] }
    var entries: [(UInt64, String)] = []
    var rest = Substring(format[start.upperBound...])
    while let open = rest.firstIndex(of: "{"), let quote = rest[open...].firstRange(of: ", \""),
      let close = rest[quote.upperBound...].firstIndex(of: "\"") {
      let expression = String(rest[rest.index(after: open)..<quote.lowerBound])
      let name = String(rest[quote.upperBound..<close])
      var evaluator = Evaluator(Array(expression.utf8))
      if let value = evaluator.expression() { entries.append((value, name)) }
      rest = rest[rest.index(after: close)...]
      // The table ends at the __print_flags's closing parenthesis.
      if let next = rest.firstIndex(where: { $0 == "{" || $0 == ")" }), rest[next] == ")" { break }
    }
    return entries
  }

  /// C's `| & ~ << ( )` over unsigned constants (`1UL`, `0x10u`), casts such as `( gfp_t)` and
  /// `( unsigned long)` skipped: what the kernel's macros expand to in these tables.
  struct Evaluator {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpaces() { while at < bytes.count, bytes[at] == UInt8(ascii: " ") { at += 1 } }

    mutating func expression() -> UInt64? { or() }

    mutating func or() -> UInt64? {
      guard var value = and() else { return nil }
      while true {
        skipSpaces()
        guard at < bytes.count, bytes[at] == UInt8(ascii: "|") else { return value }
        at += 1
        guard let rhs = and() else { return nil }
        value |= rhs
      }
    }

    mutating func and() -> UInt64? {
      guard var value = shift() else { return nil }
      while true {
        skipSpaces()
        guard at < bytes.count, bytes[at] == UInt8(ascii: "&") else { return value }
        at += 1
        guard let rhs = shift() else { return nil }
        value &= rhs
      }
    }

    mutating func shift() -> UInt64? {
      guard var value = unary() else { return nil }
      while true {
        skipSpaces()
        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "<"), bytes[at + 1] == UInt8(ascii: "<") else { return value }
        at += 2
        guard let rhs = unary(), rhs < 64 else { return nil }
        value <<= rhs
      }
    }

    mutating func unary() -> UInt64? {
      skipSpaces()
      guard at < bytes.count else { return nil }
      if bytes[at] == UInt8(ascii: "~") {
        at += 1
        return unary().map { ~$0 }
      }
      if bytes[at] == UInt8(ascii: "(") {
        // A cast `( gfp_t)` / `( unsigned long)`, or a parenthesized expression.
        var look = at + 1
        while look < bytes.count, bytes[look] == UInt8(ascii: " ") || isLetter(bytes[look]) { look += 1 }
        if look < bytes.count, bytes[look] == UInt8(ascii: ")"), look > at + 1, bytes[at + 1..<look].contains(where: isLetter) {
          at = look + 1
          return unary()
        }
        at += 1
        let value = expression()
        skipSpaces()
        guard at < bytes.count, bytes[at] == UInt8(ascii: ")") else { return nil }
        at += 1
        return value
      }
      var end = at
      while end < bytes.count, isLetter(bytes[end]) || (bytes[end] >= 48 && bytes[end] <= 57) { end += 1 }
      var literal = String(decoding: bytes[at..<end], as: UTF8.self).lowercased()
      at = end
      while literal.hasSuffix("u") || literal.hasSuffix("l") { literal.removeLast() }
      if literal.hasPrefix("0x") { return UInt64(literal.dropFirst(2), radix: 16) }
      return UInt64(literal)
    }

    func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
  }
}
