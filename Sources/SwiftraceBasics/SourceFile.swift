/// A script's text plus a table of line starts, so that byte offsets become line and column only when a
/// diagnostic is rendered. The name is `<command-line>` for `-e` programs and the path for files.
public final class SourceFile: Sendable {
  public let name: String
  public let text: String
  /// The text's bytes (see RawBytes: bytes that are not UTF-8 are kept): the lexer works on bytes,
  /// locations are byte offsets.
  public let bytes: [UInt8]
  private let lineStarts: [Int]
  /// The files the text is made of: the script, then the files it imports, each starting on a
  /// line of its own. Diagnostics name the file and its own line.
  public let parts: [Part]

  public struct Part: Sendable {
    public let name: String
    /// Where the file's text starts, as a byte offset and a 1-based line of the whole text.
    public let offset: Int
    public let firstLine: Int
  }

  public convenience init(name: String, text: String) {
    self.init(parts: [(name, text)])
  }

  /// One text of several files (a script and its imports), the first one's name the whole's.
  public init(parts files: [(name: String, text: String)]) {
    var whole: [UInt8] = []
    var parts: [Part] = []
    var lines = 1
    for (i, file) in files.enumerated() {
      if i > 0 {
        whole.append(UInt8(ascii: "\n"))
        lines += 1
      }
      parts.append(Part(name: file.name, offset: whole.count, firstLine: lines))
      let bytes = file.text.rawBytes
      whole += bytes
      lines += bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
    self.name = files.first?.name ?? ""
    self.bytes = whole
    self.text = String(rawBytes: whole)
    self.parts = parts
    var starts = [0]
    for (i, b) in whole.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
    self.lineStarts = starts
  }

  /// The file an offset is in, with its line there (1-based) and column: what diagnostics print.
  public func location(of offset: Int) -> (file: String, line: Int, column: Int) {
    let (line, column) = lineAndColumn(of: offset)
    let part = parts.last { $0.offset <= offset } ?? parts[0]
    return (part.name, line - part.firstLine + 1, column)
  }

  public var lineCount: Int { lineStarts.count }

  /// 1-based line and column; columns count characters, not bytes.
  public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
    let clamped = max(0, min(offset, bytes.count))
    var lo = 0
    var hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
    }
    let start = lineStarts[lo]
    let prefix = bytes[start..<clamped]
    let column = String(decoding: prefix, as: UTF8.self).count + 1
    return (lo + 1, column)
  }

  /// The byte offset of a 1-based line and column (columns in bytes here, as clang counts them).
  public func offset(line: Int, column: Int) -> Int {
    guard line >= 1 && line <= lineStarts.count else { return bytes.count }
    return min(bytes.count, lineStarts[line - 1] + max(0, column - 1))
  }

  /// The text of a 1-based line, without its newline.
  public func lineText(_ line: Int) -> String {
    guard line >= 1 && line <= lineStarts.count else { return "" }
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
    if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return String(rawBytes: bytes[start..<max(start, end)])
  }

  public func slice(_ range: SourceRange) -> String {
    let lo = max(0, min(range.start, bytes.count))
    let hi = max(lo, min(range.end, bytes.count))
    return String(rawBytes: bytes[lo..<hi])
  }
}

/// A half-open range of byte offsets into one `SourceFile`.
public struct SourceRange: Codable, Hashable, Sendable, CustomStringConvertible {
  public var start: Int
  public var end: Int

  public init(start: Int, end: Int) {
    self.start = start
    self.end = max(start, end)
  }

  public static func to(_ a: SourceRange, _ b: SourceRange) -> SourceRange {
    SourceRange(start: min(a.start, b.start), end: max(a.end, b.end))
  }

  public var description: String { "\(start)..<\(end)" }
}

/// A source is stored as its files' names and bytes (bytes, as RawBytes keeps what is not UTF-8);
/// the line table is made again when it is read.
extension SourceFile: Codable {
  private struct File: Codable {
    let name: String
    let bytes: [UInt8]
  }

  public convenience init(from decoder: Decoder) throws {
    let files = try [File](from: decoder)
    guard !files.isEmpty else {
      throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "no files"))
    }
    self.init(parts: files.map { ($0.name, String(rawBytes: $0.bytes)) })
  }

  public func encode(to encoder: Encoder) throws {
    // Each part ends where the next begins, less the newline that joined them.
    let files = parts.enumerated().map { i, part in
      let end = i + 1 < parts.count ? parts[i + 1].offset - 1 : bytes.count
      return File(name: part.name, bytes: Array(bytes[part.offset..<end]))
    }
    try files.encode(to: encoder)
  }
}
