import SwiftraceBasics
import SwiftraceSema

/// Formats a printf event in userspace, following C's printf for the conversions bpftrace accepts.
/// As in bpftrace (which hands the values to the C library), a conversion without `l` reads only the
/// low 32 bits of its argument: `%u` of -3 is 4294967293.
public struct PrintfFormatter {
  public let info: PrintfInfo
  public let probeNames: [String]
  public let symbolizer: Symbolizer?
  /// The bytes of each text piece (empty for conversions), by piece index.
  private let textBytes: [[UInt8]]

  public init(info: PrintfInfo, probeNames: [String], symbolizer: Symbolizer? = nil) {
    self.info = info
    self.probeNames = probeNames
    self.symbolizer = symbolizer
    textBytes = info.format.pieces.map { if case .text(let t) = $0 { t.rawBytes } else { [] } }
  }

  public func format(_ event: UnsafeRawBufferPointer) -> String {
    var out: [UInt8] = []
    append(event, to: &out)
    return String(rawBytes: out)
  }

  /// The formatted event's bytes at the end of `out` (not always UTF-8: see RawBytes). Plain decimal integers and ASCII strings
  /// are written as bytes, without building Strings: a tight printf loop delivers millions of
  /// events a second through here. Everything else goes through the String formatters below.
  public func append(_ event: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    lazy var bytes = Array(event)
    var argument = 0
    for (index, piece) in info.format.pieces.enumerated() {
      guard case .conversion(let c) = piece else {
        out.append(contentsOf: textBytes[index])
        continue
      }
      guard argument < info.argumentTypes.count else { continue }
      let type = info.argumentTypes[argument]
      let offset = info.argumentOffsets[argument]
      argument += 1
      if c.gfpFlags {
        let raw = offset + 8 <= event.count ? event.loadUnaligned(fromByteOffset: offset, as: UInt64.self) : 0
        out.append(contentsOf: Self.formatString(GFPFlags.text(UInt64(littleEndian: raw)), c).rawBytes)
        continue
      }
      switch type {
      case .symbol(.enumName) where !c.expectsString:
        // `%d` of an enum's value: its number (`%s` prints its name).
        let raw = offset + 8 <= event.count ? event.loadUnaligned(fromByteOffset: offset, as: UInt64.self) : 0
        out.append(contentsOf: Self.formatInteger(UInt64(littleEndian: raw), c).rawBytes)
      case .string(let n):
        if Self.appendASCII(event, offset, n, c, to: &out) { continue }
        out.append(contentsOf: Self.formatString(cString(bytes, offset, n), c).rawBytes)
      case .buffer(let n):
        out.append(contentsOf: Self.pad(BufferText.format(bufferBytes(bytes, offset, n), style: c.bufferStyle), c,
                                        zeroAllowed: false).rawBytes)
      case .symbol(let kind):
        let text = symbolizer?.text(kind, bytes, offset, context: .printf) ?? String(u64(bytes, offset))
        out.append(contentsOf: Self.formatString(text, c).rawBytes)
      case .probe:
        let index = u64(bytes, offset)
        out.append(contentsOf: Self.formatString(index < probeNames.count ? probeNames[Int(index)] : "", c).rawBytes)
      default:
        let raw = offset + 8 <= event.count ? event.loadUnaligned(fromByteOffset: offset, as: UInt64.self) : 0
        let value = UInt64(littleEndian: raw)
        if Self.appendDecimal(value, c, to: &out) { continue }
        out.append(contentsOf: Self.formatInteger(value, c).rawBytes)
      }
    }
  }

  /// `%s` (with a width and `-` at most) of an ASCII string: its bytes up to the NUL. False, and
  /// nothing written, for anything else (other bytes need decoding, precision cuts bytes).
  static func appendASCII(_ event: UnsafeRawBufferPointer, _ offset: Int, _ size: Int, _ c: PrintfFormat.Conversion,
                          to out: inout [UInt8]) -> Bool {
    guard c.precision == nil, c.flags.isEmpty || c.flags == "-" else { return false }
    let end = min(event.count, offset + size)
    var stop = offset
    while stop < end, event[stop] != 0 {
      if event[stop] >= 0x80 { return false }
      stop += 1
    }
    if stop == offset + size, StringTrailer.text != nil { return false }  // cut: cString adds the trailer
    let length = max(0, stop - offset)
    let fill = max(0, (c.width ?? 0) - length)
    if c.flags.isEmpty { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: fill)) }
    if length > 0 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: event[offset..<stop])) }
    if !c.flags.isEmpty { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: fill)) }
    return true
  }

  /// `%d`, `%i` and `%u` without flags or precision (a width is fine), as formatInteger writes them.
  static func appendDecimal(_ raw: UInt64, _ c: PrintfFormat.Conversion, to out: inout [UInt8]) -> Bool {
    guard c.specifier == "d" || c.specifier == "i" || c.specifier == "u", c.flags.isEmpty, c.precision == nil else {
      return false
    }
    var (_, negative, magnitude) = integerParts(raw, c)
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: the 20 digits of 2^64 fit
    let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
      var at = buffer.count
      repeat {
        at -= 1
        buffer[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude != 0
      return buffer.count - at
    }
    let fill = max(0, (c.width ?? 0) - count - (negative ? 1 : 0))
    out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: fill))
    if negative { out.append(UInt8(ascii: "-")) }
    withUnsafeBytes(of: &digits) { out.append(contentsOf: $0[($0.count - count)...]) }
    return true
  }

  static func formatString(_ s: String, _ c: PrintfFormat.Conversion) -> String {
    // C's printf counts bytes, not characters: `%.2s` keeps two bytes even of a longer character.
    guard let p = c.precision, s.rawByteCount > p else { return pad(s, c, zeroAllowed: false) }
    return pad(String(rawBytes: s.rawBytes.prefix(p)), c, zeroAllowed: false)
  }

  /// The argument as C's printf sees it: its low 8, 16, 32 or 64 bits by the length modifier (all
  /// 64 for `%p`), and for `%d`/`%i` whether that is negative and its magnitude.
  static func integerParts(_ raw: UInt64, _ c: PrintfFormat.Conversion) -> (value: UInt64, negative: Bool, magnitude: UInt64) {
    let bits: UInt64
    switch c.length {
    case "hh": bits = 8
    case "h": bits = 16
    case "l", "ll": bits = 64
    default: bits = c.specifier == "p" ? 64 : 32
    }
    let mask: UInt64 = bits == 64 ? ~0 : (1 << bits) - 1
    let value = raw & mask
    guard c.specifier == "d" || c.specifier == "i", value & (1 << (bits - 1)) != 0 else { return (value, false, value) }
    return (value, true, (~value &+ 1) & mask)
  }

  static func formatInteger(_ raw: UInt64, _ c: PrintfFormat.Conversion) -> String {
    let (v, negative, magnitude) = integerParts(raw, c)
    var digits: String
    var sign = ""
    var prefix = ""
    switch c.specifier {
    case "d", "i":
      digits = String(magnitude)
      if negative { sign = "-" } else if c.flags.contains("+") { sign = "+" } else if c.flags.contains(" ") { sign = " " }
    case "u": digits = String(v)
    case "x": digits = String(v, radix: 16)
      if c.flags.contains("#") && v != 0 { prefix = "0x" }
    case "X": digits = String(v, radix: 16, uppercase: true)
      if c.flags.contains("#") && v != 0 { prefix = "0X" }
    case "o": digits = String(v, radix: 8)
      if c.flags.contains("#") && v != 0 { prefix = "0" }
    case "c":
      return pad(String(rawBytes: [UInt8(truncatingIfNeeded: v)]), c, zeroAllowed: false)
    case "p":
      if v == 0 { return pad("(nil)", c, zeroAllowed: false) }
      digits = String(v, radix: 16)
      prefix = "0x"
    default: digits = String(v)
    }
    if let p = c.precision {
      if p == 0 && v == 0 { digits = "" }
      if digits.count < p { digits = String(repeating: "0", count: p - digits.count) + digits }
    }
    let body = sign + prefix + digits
    if let w = c.width, body.count < w, c.flags.contains("0"), !c.flags.contains("-"), c.precision == nil {
      return sign + prefix + String(repeating: "0", count: w - body.count) + digits
    }
    return pad(body, c, zeroAllowed: false)
  }

  /// Pads to the width in bytes, as C's printf does (a two-byte character counts two).
  static func pad(_ s: String, _ c: PrintfFormat.Conversion, zeroAllowed: Bool) -> String {
    guard let w = c.width, case let n = s.rawByteCount, n < w else { return s }
    let fill = String(repeating: " ", count: w - n)
    return c.flags.contains("-") ? s + fill : fill + s
  }
}
