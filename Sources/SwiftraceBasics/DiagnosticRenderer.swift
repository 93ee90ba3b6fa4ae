/// Renders diagnostics as `file:line:col: ERROR: message`, the source line, and a caret with tildes
/// under the range. The first line is clang's and Go's format, so editors can jump to it.
public struct DiagnosticRenderer {
  public let source: SourceFile

  public init(source: SourceFile) { self.source = source }

  public func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(render).joined()
  }

  public func render(_ d: Diagnostic) -> String {
    var out = renderOne(severity: d.severity.label, message: d.message, range: d.range)
    for note in d.notes {
      if let range = note.range {
        out += renderOne(severity: Diagnostic.Severity.note.label, message: note.message, range: range)
      } else {
        out += "\(Diagnostic.Severity.note.label): \(note.message)\n"
      }
    }
    return out
  }

  private func renderOne(severity: String, message: String, range: SourceRange) -> String {
    let (line, column) = source.lineAndColumn(of: range.start)
    var out = "\(source.name):\(line):\(column): \(severity): \(message)\n"
    let text = source.lineText(line)
    let gutter = String(line)
    let pad = String(repeating: " ", count: gutter.count)
    out += " \(gutter) | \(expandTabs(text))\n"
    // Underline the part of the range that lies on the first line.
    let (endLine, endColumn) = source.lineAndColumn(of: range.end)
    let lineLength = text.count + 1
    let lastColumn = endLine == line ? max(endColumn, column + 1) : lineLength
    let prefix = expandTabs(String(text.prefix(column - 1)))
    let marked = String(text.dropFirst(column - 1).prefix(max(1, lastColumn - column)))
    let width = max(1, expandTabs(marked, startColumn: prefix.count).count)
    out += " \(pad) | " + String(repeating: " ", count: prefix.count) + "^"
      + String(repeating: "~", count: width - 1) + "\n"
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
