/// Renders diagnostics as `file:line:col: ERROR: message`, the source line, and a caret with tildes
/// under the range. The first line is clang's and Go's format, so editors can jump to it.
public struct DiagnosticRenderer {
  public let source: SourceFile

  public init(source: SourceFile) { self.source = source }

  /// The first `limit` diagnostics, then one line saying how many more there were: a file that
  /// is not a script at all must not bury the terminal.
  public func render(_ diagnostics: [Diagnostic], limit: Int = 20) -> String {
    let diagnostics = MessageStyle.showsWarnings ? diagnostics : diagnostics.filter { $0.severity != .warning }
    var out = diagnostics.prefix(limit).map(render).joined()
    if diagnostics.count > limit {
      out += SystemMessage.error("\(diagnostics.count - limit) more problems not shown (the first \(limit) are above)")
    }
    return out
  }

  /// Lines longer than this are shown as a window around the caret.
  public static let widestLine = 160

  public func render(_ d: Diagnostic) -> String {
    var out = renderOne(severity: MessageStyle.label(d.severity), message: d.message, range: d.range)
    for note in d.notes {
      if let range = note.range {
        out += renderOne(severity: MessageStyle.label(.note), message: note.message, range: range)
      } else {
        out += "\(MessageStyle.label(.note)): \(note.message)\n"
      }
    }
    return out
  }

  private func renderOne(severity: String, message: String, range: SourceRange) -> String {
    let (line, column) = source.lineAndColumn(of: range.start)
    let (file, fileLine, _) = source.location(of: range.start)
    var out = "\(file):\(fileLine):\(column): \(severity): \(message)\n"
    let text = source.lineText(line)
    let gutter = String(fileLine)
    let pad = String(repeating: " ", count: gutter.count)
    // Underline the part of the range that lies on the first line.
    let (endLine, endColumn) = source.lineAndColumn(of: range.end)
    let lineLength = text.count + 1
    let lastColumn = endLine == line ? max(endColumn, column + 1) : lineLength
    var shown = expandTabs(text)
    var prefix = expandTabs(String(text.prefix(column - 1)))
    let marked = String(text.dropFirst(column - 1).prefix(max(1, lastColumn - column)))
    var width = max(1, expandTabs(marked, startColumn: prefix.count).count)
    if shown.count > Self.widestLine {
      // A window around the caret, marked with "..." where the line goes on.
      let start = max(0, prefix.count - Self.widestLine / 2)
      let window = shown.dropFirst(start).prefix(Self.widestLine)
      let lead = start > 0 ? "..." : ""
      shown = lead + window + (start + window.count < shown.count ? "..." : "")
      prefix = lead + String(repeating: " ", count: prefix.count - start)
      width = min(width, Self.widestLine - (prefix.count - lead.count))
    }
    out += " \(gutter) | \(shown)\n"
    out += " \(pad) | " + String(repeating: " ", count: prefix.count)
      + MessageStyle.caret("^" + String(repeating: "~", count: max(0, width - 1))) + "\n"
    return out
  }

  private func expandTabs(_ s: String, startColumn: Int = 0) -> String {
    var out = ""
    var col = startColumn
    for ch in s {
      if ch == "\t" {
        let n = 8 - col % 8
        out += String(repeating: " ", count: n)
        col += n
      } else {
        out.append(ch)
        col += 1
      }
    }
    return out
  }
}
