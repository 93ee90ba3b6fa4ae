/// A printf format string split into literal text and conversion specifiers. The checker uses it to
/// match arguments; the runtime uses the same value to format events.
public struct PrintfFormat: Codable, Sendable, Equatable {
  public enum Piece: Codable, Sendable, Equatable {
    case text(String)
    case conversion(Conversion)
  }

  public struct Conversion: Sendable, Equatable {
    /// `-`, `0`, `+`, ` `, `#` as written.
    public var flags: String
    public var width: Int?
    public var precision: Int?
    /// `hh`, `h`, `l`, `ll`, or empty.
    public var length: String
    /// d, i, u, x, X, o, c, s, p, or r for a buffer
    public var specifier: Character
    /// After `r`: "" (`%r`, printable bytes kept), "x" (`%rx`, every byte `\xNN`) or "h" (`%rh`, hex pairs).
    public var bufferStyle: String = ""
    /// `%gr` (bpftrace 0.23 and later): an integer of GFP flags, printed by the kernel's names.
    public var gfpFlags = false

    public var expectsString: Bool { specifier == "s" && !gfpFlags }
    public var expectsBuffer: Bool { specifier == "r" }
  }

  public var pieces: [Piece]

  /// The widest field printf pads to: a width or precision past it is a located error (a
  /// `%100000000d` took 17 s and 100 MB for each event).
  public static let widestField = 1024

  public var conversions: [Conversion] {
    pieces.compactMap { if case .conversion(let c) = $0 { return c } else { return nil } }
  }

  /// Parses `format`; returns the offending spec's text on error.
  public static func parse(_ format: String) -> Result<PrintfFormat, PrintfFormatError> {
    var pieces: [Piece] = []
    var text = ""
    let chars = Array(format)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      guard c == "%" else {
        text.append(c)
        i += 1
        continue
      }
      let start = i
      i += 1
      if i < chars.count && chars[i] == "%" {
        // Deliberate difference from bpftrace 0.17, which prints "%%" literally: C prints "%".
        text.append("%")
        i += 1
        continue
      }
      var conv = Conversion(flags: "", width: nil, precision: nil, length: "", specifier: " ")
      while i < chars.count && "-0+ #".contains(chars[i]) {
        conv.flags.append(chars[i])
        i += 1
      }
      var digits = ""
      while i < chars.count && chars[i].isASCII && chars[i].isNumber {
        digits.append(chars[i])
        i += 1
      }
      conv.width = Int(digits)
      if !digits.isEmpty && conv.width == nil { return .failure(PrintfFormatError(spec: String(chars[start..<i]))) }
      if i < chars.count && chars[i] == "." {
        i += 1
        var p = ""
        while i < chars.count && chars[i].isASCII && chars[i].isNumber {
          p.append(chars[i])
          i += 1
        }
        conv.precision = Int(p) ?? 0
        if !p.isEmpty && Int(p) == nil { return .failure(PrintfFormatError(spec: String(chars[start..<i]))) }
      }
      while i < chars.count && (chars[i] == "h" || chars[i] == "l") && conv.length.count < 2 {
        conv.length.append(chars[i])
        i += 1
      }
      if i + 1 < chars.count, chars[i] == "g", chars[i + 1] == "r" {
        // `%gr`: GFP flags, an integer printed as text.
        conv.specifier = "s"
        conv.gfpFlags = true
        i += 2
        if !text.isEmpty {
          pieces.append(.text(text))
          text = ""
        }
        pieces.append(.conversion(conv))
        continue
      }
      guard i < chars.count, "diuxXocspr".contains(chars[i]) else {
        let end = min(i + 1, chars.count)
        return .failure(PrintfFormatError(spec: String(chars[start..<end])))
      }
      conv.specifier = chars[i]
      i += 1
      if conv.specifier == "r", i < chars.count, chars[i] == "x" || chars[i] == "h" {
        conv.bufferStyle = String(chars[i])
        i += 1
      }
      if !text.isEmpty {
        pieces.append(.text(text))
        text = ""
      }
      pieces.append(.conversion(conv))
    }
    if !text.isEmpty { pieces.append(.text(text)) }
    return .success(PrintfFormat(pieces: pieces))
  }
}

public struct PrintfFormatError: Error, Sendable {
  public let spec: String
}

/// Written out by hand: `Character` has no Codable conformance, so the specifier goes as text.
extension PrintfFormat.Conversion: Codable {
  private enum CodingKeys: String, CodingKey { case flags, width, precision, length, specifier, bufferStyle, gfpFlags }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    flags = try c.decode(String.self, forKey: .flags)
    width = try c.decodeIfPresent(Int.self, forKey: .width)
    precision = try c.decodeIfPresent(Int.self, forKey: .precision)
    length = try c.decode(String.self, forKey: .length)
    let text = try c.decode(String.self, forKey: .specifier)
    guard text.count == 1, let specifier = text.first else {
      throw DecodingError.dataCorruptedError(forKey: .specifier, in: c, debugDescription: "not one character")
    }
    self.specifier = specifier
    bufferStyle = try c.decode(String.self, forKey: .bufferStyle)
    gfpFlags = try c.decode(Bool.self, forKey: .gfpFlags)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(flags, forKey: .flags)
    try c.encodeIfPresent(width, forKey: .width)
    try c.encodeIfPresent(precision, forKey: .precision)
    try c.encode(length, forKey: .length)
    try c.encode(String(specifier), forKey: .specifier)
    try c.encode(bufferStyle, forKey: .bufferStyle)
    try c.encode(gfpFlags, forKey: .gfpFlags)
  }
}
