import SwiftraceSema

/// Formats a printf event in userspace, following C's printf for the conversions bpftrace accepts.
/// As in bpftrace (which hands the values to the C library), a conversion without `l` reads only the
/// low 32 bits of its argument: `%u` of -3 is 4294967293.
public struct PrintfFormatter {
  public let info: PrintfInfo
  public let probeNames: [String]
  public let symbolizer: Symbolizer?

  public init(info: PrintfInfo, probeNames: [String], symbolizer: Symbolizer? = nil) {
    self.info = info
    self.probeNames = probeNames
    self.symbolizer = symbolizer
  }

  public func format(_ event: UnsafeRawBufferPointer) -> String {
    // Integers are read in place; the copy the other kinds' readers take is made only for them
    // (a tight printf loop delivers millions of events a second through here).
    lazy var bytes = Array(event)
    var out = ""
    var argument = 0
    for piece in info.format.pieces {
      switch piece {
      case .text(let t):
        out += t
      case .conversion(let c):
        guard argument < info.argumentTypes.count else { continue }
        let type = info.argumentTypes[argument]
        let offset = info.argumentOffsets[argument]
        argument += 1
        switch type {
        case .string(let n):
          out += Self.formatString(cString(bytes, offset, n), c)
        case .buffer(let n):
          out += Self.pad(BufferText.format(bufferBytes(bytes, offset, n), style: c.bufferStyle), c, zeroAllowed: false)
        case .symbol(let kind):
          let text = symbolizer?.text(kind, bytes, offset, context: .printf) ?? String(u64(bytes, offset))
          out += Self.formatString(text, c)
        case .probe:
          let index = u64(bytes, offset)
          out += Self.formatString(index < probeNames.count ? probeNames[Int(index)] : "", c)
        default:
          let value = offset + 8 <= event.count ? event.loadUnaligned(fromByteOffset: offset, as: UInt64.self) : 0
          out += Self.formatInteger(UInt64(littleEndian: value), c)
        }
      }
    }
    return out
  }

  static func formatString(_ s: String, _ c: PrintfFormat.Conversion) -> String {
    var text = s
    if let p = c.precision { text = String(text.prefix(p)) }
    return pad(text, c, zeroAllowed: false)
  }

  static func formatInteger(_ raw: UInt64, _ c: PrintfFormat.Conversion) -> String {
    let bits: UInt64
    switch c.length {
    case "hh": bits = 8
    case "h": bits = 16
    case "l", "ll": bits = 64
    default: bits = c.specifier == "p" ? 64 : 32
    }
    let mask: UInt64 = bits == 64 ? ~0 : (1 << bits) - 1
    let v = raw & mask
    var digits: String
    var sign = ""
    var prefix = ""
    switch c.specifier {
    case "d", "i":
      let signBit: UInt64 = 1 << (bits - 1)
      if v & signBit != 0 {
        sign = "-"
        digits = String((~v &+ 1) & mask)
      } else {
        digits = String(v)
        if c.flags.contains("+") { sign = "+" } else if c.flags.contains(" ") { sign = " " }
      }
    case "u": digits = String(v)
    case "x": digits = String(v, radix: 16)
      if c.flags.contains("#") && v != 0 { prefix = "0x" }
    case "X": digits = String(v, radix: 16, uppercase: true)
      if c.flags.contains("#") && v != 0 { prefix = "0X" }
    case "o": digits = String(v, radix: 8)
      if c.flags.contains("#") && v != 0 { prefix = "0" }
    case "c":
      return pad(String(decoding: [UInt8(truncatingIfNeeded: v)], as: UTF8.self), c, zeroAllowed: false)
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

  static func pad(_ s: String, _ c: PrintfFormat.Conversion, zeroAllowed: Bool) -> String {
    guard let w = c.width, s.count < w else { return s }
    let fill = String(repeating: " ", count: w - s.count)
    return c.flags.contains("-") ? s + fill : fill + s
  }
}
