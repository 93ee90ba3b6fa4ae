import Glibc

/// Strings from the kernel, a traced program, a file or a script's `\xNN` escapes are bytes, and not
/// always UTF-8. Swift's `String` would replace each invalid sequence with U+FFFD, and the output would
/// lie about the data. So every byte that is not part of valid UTF-8 is kept as one scalar of the last
/// private-use plane (U+10FF00 + byte), as Python's `surrogateescape` keeps it as a lone surrogate, and
/// turns back into the same byte when written. A valid sequence that itself encodes U+10FF00...U+10FFFF
/// is kept byte by byte too, so that every byte sequence comes back exactly.
public enum RawBytes {
  static let escapeBase: UInt32 = 0x10FF00

  /// The byte an escape scalar stands for, or nil for an ordinary character.
  public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
    scalar.value >= escapeBase ? UInt8(truncatingIfNeeded: scalar.value - escapeBase) : nil
  }

  static func escape(_ byte: UInt8) -> Unicode.Scalar { Unicode.Scalar(escapeBase + UInt32(byte))! }

  /// Decodes bytes into a string that `bytes(of:)` turns back into the same bytes.
  public static func string<C: Collection<UInt8>>(_ bytes: C) -> String {
    // Almost every string is valid UTF-8 without the escape plane's lead bytes (F4 8F BC...BF).
    if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
    var scalars = String.UnicodeScalarView()
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var index = bytes.startIndex
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        let scalar = Unicode.UTF8.decode(encoded)
        let next = bytes.index(index, offsetBy: encoded.count)
        if scalar.value >= escapeBase {
          for b in bytes[index..<next] { scalars.append(escape(b)) }
        } else {
          scalars.append(scalar)
        }
        index = next
      case .error(let length):
        let next = bytes.index(index, offsetBy: length)
        for b in bytes[index..<next] { scalars.append(escape(b)) }
        index = next
      case .emptyInput:
        return String(scalars)
      }
    }
  }

  /// The bytes a string stands for: UTF-8, with each escape scalar written as its byte.
  public static func bytes(of s: String) -> [UInt8] {
    guard mayHoldEscapes(s) else { return Array(s.utf8) }
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      if let b = escapedByte(scalar) { out.append(b) } else { out.append(contentsOf: UTF8.encode(scalar)!) }
    }
    return out
  }

  /// The number of bytes `bytes(of:)` would give, without building them.
  public static func count(of s: String) -> Int {
    guard mayHoldEscapes(s) else { return s.utf8.count }
    return s.unicodeScalars.reduce(0) { $0 + (escapedByte($1) != nil ? 1 : UTF8.width($1)) }
  }

  /// Whether the string holds bytes that are not valid UTF-8.
  public static func hasEscapes(_ s: String) -> Bool {
    mayHoldEscapes(s) && s.unicodeScalars.contains { escapedByte($0) != nil }
  }

  /// Whether the string has the lead byte of the escape plane (F4): one memchr over its UTF-8,
  /// since output of any size (a dump of a 100,000-line program) passes through here.
  public static func mayHoldEscapes(_ s: String) -> Bool {
    s.utf8.withContiguousStorageIfAvailable { $0.isEmpty ? false : memchr($0.baseAddress!, 0xF4, $0.count) != nil }
      ?? s.utf8.contains(0xF4)
  }
}

extension String {
  /// A string that keeps every byte, valid UTF-8 or not (see `RawBytes`).
  public init<C: Collection<UInt8>>(rawBytes: C) { self = RawBytes.string(rawBytes) }

  /// The bytes this string stands for (see `RawBytes`).
  public var rawBytes: [UInt8] { RawBytes.bytes(of: self) }

  /// `rawBytes.count`, without building the array.
  public var rawByteCount: Int { RawBytes.count(of: self) }

  /// Calls `body` with the string's bytes as a NUL-terminated C string (paths, commands, arguments:
  /// a name that is not UTF-8 reaches the kernel as the bytes it came as).
  public func withRawCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    guard RawBytes.hasEscapes(self) else { return try withCString(body) }
    return try (rawBytes + [0]).withUnsafeBufferPointer { bytes in
      try bytes.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
    }
  }

  /// A `malloc`ed NUL-terminated copy of the string's bytes, for argv arrays (free it with `free`).
  public func rawCStringCopy() -> UnsafeMutablePointer<CChar> {
    let bytes = rawBytes
    let copy = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
    for (i, b) in bytes.enumerated() { copy[i] = CChar(bitPattern: b) }
    copy[bytes.count] = 0
    return copy
  }
}

extension UInt8 {
  /// Two lowercase hex digits (`0a`, `ff`): how escapes spell a byte in the AST dump, `%r`, JSON
  /// and OpenMetrics labels.
  public var twoHexDigits: String { (self < 16 ? "0" : "") + String(self, radix: 16) }
}
