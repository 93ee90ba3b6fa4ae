import SwiftraceBasics

/// `--fmt` (bpftrace 0.24 and later): a script printed back in one style. It works on the tokens
/// the parser consumed (so attach points, C definitions and `< >` blocks are read as the parser
/// reads them) and the comments between them: two spaces per block level, one statement per line,
/// spaces around binary operators and after commas, `{ }` for blocks (`< >` becomes `{ }`), a blank
/// line between top-level items and where the script had one between statements, comments kept
/// where they were. Only a script that parses is formatted; formatting it again changes nothing.
public enum Formatter {
  /// SOURCE formatted, or nil when it does not parse (DIAGNOSTICS say why).
  public static func format(_ source: SourceFile, diagnostics: DiagnosticEngine) -> String? {
    let parser = Parser(source: source, diagnostics: diagnostics)
    parser.lexer.log = []
    _ = parser.parseProgram(expandingMacros: false)
    guard !diagnostics.hasErrors, let tokens = parser.lexer.log else { return nil }
    var printer = TokenPrinter(source: source, tokens: tokens.filter { $0.kind != .endOfFile },
                               probeDelimiters: parser.probeDelimiters)
    return printer.print()
  }
}

/// The formatter's walk over the tokens.
struct TokenPrinter {
  let source: SourceFile
  let tokens: [Token]
  /// The parser's reading of `/`, `<` and `>` (Parser.probeDelimiters).
  let probeDelimiters: Set<Int>
  var out = ""
  /// A line ends here once something follows: a comment after the code stays on its line.
  var pendingNewline = false
  /// A block comment just written before code on its line: one space, then the code.
  var afterInlineComment = false
  /// The predicate's opening slash: the condition follows it directly.
  var afterPredicateSlash = false
  /// The token after the trivia being written closes a block.
  var closing = false
  var depth = 0
  var atLineStart = true
  /// What each open `(`, `[`, `{` or block is, innermost last.
  var open: [Opener] = []
  /// After attach points, before the block: a predicate's slashes delimit it.
  var inProbeHeader = false
  var inPredicate = false
  /// `let $x: type`: the colon hugs the variable.
  var inLet = false

  enum Opener { case paren, bracket, block, angleBlock }

  init(source: SourceFile, tokens: [Token], probeDelimiters: Set<Int>) {
    self.source = source
    self.tokens = tokens
    self.probeDelimiters = probeDelimiters
  }

  mutating func print() -> String {
    // A `#!` first line as it is, byte for byte; the trivia after it start at its line end.
    var previousEnd = 0
    if source.bytes.starts(with: Array("#!".utf8)) {
      previousEnd = source.bytes.firstIndex(of: UInt8(ascii: "\n")) ?? source.bytes.count
      out = String(rawBytes: source.bytes[0..<previousEnd]) + "\n"
    }
    for (index, token) in tokens.enumerated() {
      closing = token.kind == .rbrace || (token.kind == .gt && probeDelimiters.contains(token.range.start))
      emitTrivia(from: previousEnd, to: token.range.start, beforeTopLevel: depth == 0 && open.isEmpty && atLineStart && index > 0)
      emit(token, index)
      previousEnd = token.range.end
    }
    emitTrivia(from: previousEnd, to: source.bytes.count, beforeTopLevel: false)
    flushNewline()
    if !out.hasSuffix("\n") { out += "\n" }
    while out.hasSuffix("\n\n") { out.removeLast() }
    return out
  }

  // MARK: Comments and blank lines

  /// The comments between two tokens, each where it was: after the code on its line, or on a line
  /// of its own; a blank line where the script had one (at a statement's start) or before a
  /// top-level item.
  mutating func emitTrivia(from start: Int, to end: Int, beforeTopLevel: Bool) {
    // No gap at all (`>kprobe:f`) still separates top-level items.
    let gap = start < end ? Array(source.bytes[start..<end]) : []
    var i = 0, newlines = 0, blankPending = beforeTopLevel
    while i < gap.count {
      let c = gap[i]
      if c == UInt8(ascii: "\n") {
        newlines += 1
        if newlines >= 2 && atLineStart { blankPending = true }
        i += 1
      } else if c == UInt8(ascii: "/"), i + 1 < gap.count, gap[i + 1] == UInt8(ascii: "/") || gap[i + 1] == UInt8(ascii: "*") {
        let isLine = gap[i + 1] == UInt8(ascii: "/")
        var j = i + 2
        if isLine {
          while j < gap.count && gap[j] != UInt8(ascii: "\n") { j += 1 }
        } else {
          while j + 1 < gap.count && !(gap[j] == UInt8(ascii: "*") && gap[j + 1] == UInt8(ascii: "/")) { j += 1 }
          j = min(gap.count, j + 2)
        }
        let text = String(rawBytes: gap[i..<j]).trimmingSpaces()
        if newlines == 0 && !out.isEmpty && (pendingNewline || !atLineStart) {
          out += "  " + text  // after the code on its line
        } else {
          flushNewline()
          // A comment of its own line stays on one, even where no line end is pending (after a
          // comma between attach points).
          if !atLineStart && !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
          if blankPending { blankLine() }
          blankPending = false
          atLineStart = true
          indent()
          out += text
        }
        if isLine {
          newline()
          pendingNewline = true
          atLineStart = true
        } else if pendingNewline {
          atLineStart = true
        } else {
          afterInlineComment = true  // `/* c */ code`: the code follows on this line
        }
        i = j
        newlines = 0  // the comment's own line end comes next
      } else {
        i += 1
      }
    }
    if blankPending {
      flushNewline()
      if !atLineStart { out += "\n" }
      atLineStart = true
      blankLine()
    }
  }

  /// One empty line, never two, and none first in a block or last in one.
  mutating func blankLine() {
    if !out.isEmpty && !out.hasSuffix("\n\n") && !out.hasSuffix("{\n") && !closing { out += "\n" }
  }

  // MARK: Tokens

  mutating func emit(_ token: Token, _ index: Int) {
    let text = source.slice(token.range)
    let previous = index > 0 ? tokens[index - 1] : nil
    switch token.kind {
    case .cDefinition:
      // A `#!` line that is not the first is a C definition: it must not become the first.
      if out.isEmpty && text.hasPrefix("#!") { out = "\n" }
      lineStart()
      out += text
      newline()
    case .attachPoint:
      // After a comment the list goes on on the next line.
      if previous?.kind == .comma && !atLineStart { out += " " } else { lineStart() }
      out += text
      inProbeHeader = true
    case .comma where inProbeHeader && open.isEmpty:
      if atLineStart { indent() }
      out += ","
    case .slash where probeDelimiters.contains(token.range.start) && !inPredicate:
      if atLineStart { indent() } else { out += " " }
      out += "/"
      atLineStart = false
      afterPredicateSlash = true
      inPredicate = true
    case .slash where probeDelimiters.contains(token.range.start):
      if atLineStart { indent() }
      out += "/"
      inPredicate = false
    // `{` always opens a block; `<` only where it stands for one (it is also an operator).
    case .lbrace,
         .lt where opensBlock(token, previous):
      if !atLineStart && !out.hasSuffix(" ") { out += " " }
      if atLineStart { indent() }
      inProbeHeader = false
      let next = index + 1 < tokens.count ? tokens[index + 1].kind : nil
      // `{}` stays on its line, unless a comment is inside: that block has a line of its own.
      let onlySpace = index + 1 < tokens.count
        && source.bytes[token.range.end..<tokens[index + 1].range.start].allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }
      if onlySpace && ((token.kind == .lbrace && next == .rbrace) || (token.kind == .lt && next == .gt)) {
        out += "{"
        open.append(token.kind == .lbrace ? .block : .angleBlock)
        return
      }
      out += "{"
      open.append(token.kind == .lbrace ? .block : .angleBlock)
      depth += 1
      newline()
    case .rbrace,
         .gt where closesBlock(token):
      let empty = previous.map { $0.kind == .lbrace || $0.kind == .lt } ?? false && out.hasSuffix("{")
      open.removeLast()
      if empty {
        out += "}"
      } else {
        depth -= 1
        lineStart()
        out += "}"
      }
      let next = index + 1 < tokens.count ? tokens[index + 1] : nil
      if let next, next.kind == .keyword(.else) || next.kind == .semicolon || next.kind == .rparen || next.kind == .comma {
        return
      }
      newline()
    case .semicolon:
      if atLineStart { indent() }  // after a comment: the `;` cannot join it
      out += ";"
      inLet = false
      if open.last != .paren && open.last != .bracket { newline() }
    default:
      emitInline(token, text, previous)
    }
  }

  /// `{` starts a block everywhere; `<` where the parser read it as a probe's block.
  func opensBlock(_ token: Token, _ previous: Token?) -> Bool {
    token.kind == .lbrace || probeDelimiters.contains(token.range.start)
  }

  /// `}` closes the innermost block; `>` where the parser read it as the end of an angle block.
  func closesBlock(_ token: Token) -> Bool {
    token.kind == .rbrace || probeDelimiters.contains(token.range.start)
  }

  mutating func emitInline(_ token: Token, _ text: String, _ previous: Token?) {
    if atLineStart {
      indent()
    } else if afterPredicateSlash {
      // `/pid == 1/`: nothing between the slash and the condition
    } else if afterInlineComment {
      if !out.hasSuffix(" ") { out += " " }
    } else if let previous, wantsSpace(between: previous, and: token) {
      out += " "
    } else if let last = out.last, let first = text.first, Self.merges(last, first) {
      out += " "  // `- --x` must not become `---x`
    }
    afterInlineComment = false
    afterPredicateSlash = false
    switch token.kind {
    case .lparen: open.append(.paren)
    case .lbracket: open.append(.bracket)
    case .rparen, .rbracket: if !open.isEmpty { open.removeLast() }
    case .identifier where text == "let" || text == "config": inLet = text == "let"
    default: break
    }
    out += text
    atLineStart = false
  }

  /// Whether a space separates PREVIOUS and TOKEN on a line.
  func wantsSpace(between previous: Token, and token: Token) -> Bool {
    let p = previous.kind, t = token.kind
    switch p {
    case .lparen, .lbracket, .dot, .arrow, .dotDot: return false
    default: break
    }
    if isUnary(previous) { return false }
    switch t {
    case .rparen, .rbracket, .comma, .semicolon, .dot, .arrow, .dotDot: return false
    case .increment, .decrement: return !isOperand(p)  // x++ but a = ++x
    case .lparen: return !(p == .identifier || p == .map || p == .rparen)  // calls; `(uint8)(x)`
    case .lbracket: return !(isOperand(p) || p == .rbracket || p == .rparen)
    case .colon where inLet && p == .variable: return false
    default: break
    }
    // `(uint8)x`: a cast's operand follows it directly; an operator after `)` is spaced.
    if p == .rparen { return !isOperand(t) || t == .increment || t == .decrement }
    return true
  }

  /// Two characters that would lex as one token (or a comment) if nothing separated them.
  static func merges(_ a: Character, _ b: Character) -> Bool {
    let pairs: Set<String> = ["--", "++", "-=", "+=", "&&", "&=", "||", "|=", "<<", "<=", ">>", ">=", "==", "!=", "->",
                              "//", "/*", "*/", "*=", "/=", "%=", "^=", ".."]
    return pairs.contains(String(a) + String(b))
  }

  /// A prefix operator: `-`, `!`, `~`, `*`, `&`, `++`, `--` where no operand comes before.
  func isUnary(_ token: Token) -> Bool {
    switch token.kind {
    case .bang, .tilde: return true
    case .minus, .star, .amp, .increment, .decrement:
      guard let i = tokens.firstIndex(where: { $0.range.start == token.range.start }), i > 0 else { return true }
      let before = tokens[i - 1].kind
      if before == .rparen { return false }
      return !isOperand(before) && before != .rbracket
    default: return false
    }
  }

  func isOperand(_ kind: Token.Kind) -> Bool {
    switch kind {
    case .integer, .string, .identifier, .variable, .positional, .positionalCount, .map, .rparen, .rbracket, .increment,
      .decrement:
      return true
    default: return false
    }
  }

  func startsOperand(_ kind: Token.Kind) -> Bool {
    switch kind {
    case .integer, .string, .identifier, .variable, .positional, .positionalCount, .map, .lparen, .bang, .tilde, .minus,
      .star, .amp:
      return true
    default: return false
    }
  }

  // MARK: Lines

  /// Ends the line once something follows (a comment after the code may still join it).
  mutating func newline() {
    if !atLineStart { pendingNewline = true }
    atLineStart = true
  }

  /// Writes the line end newline() left pending.
  mutating func flushNewline() {
    if pendingNewline { out += "\n" }
    pendingNewline = false
  }

  mutating func lineStart() {
    newline()
    indent()
  }

  mutating func indent() {
    flushNewline()
    if atLineStart { out += String(repeating: "  ", count: max(0, depth)) }
    atLineStart = false
  }
}
