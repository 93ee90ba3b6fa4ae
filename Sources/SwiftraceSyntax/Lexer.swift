import SwiftraceBasics

/// Scans tokens on demand. The parser chooses the mode: attach points (`uprobe:/bin/bash:readline`)
/// contain characters that are operators elsewhere, so they are lexed as one raw token when a probe
/// is expected. The lexer never throws: a bad character becomes an `.invalid` token plus a diagnostic.
public struct Lexer {
  public let source: SourceFile
  private let bytes: [UInt8]
  private let diagnostics: DiagnosticEngine
  public private(set) var position: Int = 0
  /// Every token handed out, in order, when not nil: what the formatter prints (peeks and silent
  /// copies record nothing).
  public var log: [Token]?

  public init(source: SourceFile, diagnostics: DiagnosticEngine) {
    self.source = source
    self.bytes = source.bytes
    self.diagnostics = diagnostics
    // A `#!` first line is a comment.
    if bytes.starts(with: Array("#!".utf8)) {
      while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
    }
  }

  // MARK: Peeking without diagnostics

  /// The token that `next()` would return, without reporting anything or moving.
  public func peek() -> Token {
    var copy = Lexer(silentCopyOf: self)
    return copy.next()
  }

  /// A copy that reports nothing, for looking several tokens ahead.
  public func silentCopy() -> Lexer { Lexer(silentCopyOf: self) }

  private init(silentCopyOf other: Lexer) {
    self.source = other.source
    self.bytes = other.bytes
    self.diagnostics = DiagnosticEngine(source: other.source)
    self.position = other.position
  }

  /// The byte right at `offset`, or nil past the end.
  public func byte(at offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

  // MARK: C definitions

  /// At the top level before a probe: a preprocessor line (`#include <x.h>`, `#define A 1`, with
  /// `\` continuations) or a `struct`/`union`/`enum`/`typedef` definition up to its final `;`.
  /// Returns nil (consuming nothing) when the input continues with a probe.
  public mutating func nextCDefinition() -> Token? {
    let t = scanCDefinition()
    if let t { log?.append(t) }
    return t
  }

  private mutating func scanCDefinition() -> Token? {
    skipTrivia()
    let start = position
    guard position < bytes.count else { return nil }
    if bytes[position] == UInt8(ascii: "#") {
      while position < bytes.count && bytes[position] != UInt8(ascii: "\n") {
        if bytes[position] == UInt8(ascii: "\\") && byte(at: position + 1) == UInt8(ascii: "\n") { position += 1 }
        position += 1
      }
      return Token(.cDefinition, SourceRange(start: start, end: position))
    }
    var word = position
    while word < bytes.count && isIdentContinue(bytes[word]) { word += 1 }
    let keyword = String(decoding: bytes[position..<word], as: UTF8.self)
    guard ["struct", "union", "enum", "typedef"].contains(keyword) else { return nil }
    // A definition ends at the first ';' outside braces; a struct, union or enum also at the brace
    // that closes its body, as in bpftrace, which takes `struct S { int x; }` without the ';'.
    let endsAtBrace = keyword != "typedef"
    var depth = 0
    while position < bytes.count {
      let c = bytes[position]
      position += 1
      if c == UInt8(ascii: "{") { depth += 1 }
      if c == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 && endsAtBrace {
          var after = position
          while after < bytes.count && isSpace(bytes[after]) { after += 1 }
          if after < bytes.count && bytes[after] == UInt8(ascii: ";") { position = after + 1 }
          break
        }
      }
      if c == UInt8(ascii: ";") && depth <= 0 { break }
    }
    return Token(.cDefinition, SourceRange(start: start, end: position))
  }

  // MARK: Attach points

  /// Lexes one attach point: everything up to white space, `,`, `{` or `<`, with `"..."` quoting.
  /// A `/` continues the attach point only for providers whose targets are file paths.
  /// Returns nil (and consumes nothing) when the input does not start an attach point here.
  /// Whether the input goes on with `config =` (a config block), which starts no attach point.
  public mutating func atConfigBlock() -> Bool {
    guard let i = afterWord("config", spaceNeeded: false), i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return false }
    return i + 1 == bytes.count || bytes[i + 1] != UInt8(ascii: "=")
  }

  /// Whether the input goes on with `let @` (a map declaration), which starts no attach point.
  public mutating func atMapDeclaration() -> Bool {
    guard let i = afterWord("let", spaceNeeded: true) else { return false }
    return i < bytes.count && bytes[i] == UInt8(ascii: "@")
  }

  /// Whether the input goes on with `import "` (an import), which starts no attach point.
  public mutating func atImport() -> Bool {
    guard let i = afterWord("import", spaceNeeded: true) else { return false }
    return i < bytes.count && bytes[i] == UInt8(ascii: "\"")
  }

  /// Whether the input goes on with `macro NAME` (a macro definition), which starts no attach point.
  public mutating func atMacroDefinition() -> Bool {
    guard let i = afterWord("macro", spaceNeeded: true) else { return false }
    return i < bytes.count && isIdentStart(bytes[i])
  }

  /// Past comments and white space, if the input goes on with WORD (and white space after it when
  /// SPACE_NEEDED): where the next character after that white space is. Nothing is consumed but
  /// the trivia.
  private mutating func afterWord(_ word: String, spaceNeeded: Bool) -> Int? {
    skipTrivia()
    let w = Array(word.utf8)
    guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else { return nil }
    var i = position + w.count
    if spaceNeeded && (i == bytes.count || !isSpace(bytes[i])) { return nil }
    while i < bytes.count && isSpace(bytes[i]) { i += 1 }
    return i
  }

  public mutating func nextAttachPoint() -> Token? {
    let t = scanAttachPoint()
    if let t { log?.append(t) }
    return t
  }

  private mutating func scanAttachPoint() -> Token? {
    skipTrivia()
    let start = position
    var inQuotes = false
    while position < bytes.count {
      let c = bytes[position]
      if inQuotes && c == UInt8(ascii: "\\") {
        position += 1  // `\"` inside quotes does not end them
      } else if c == UInt8(ascii: "\"") {
        inQuotes.toggle()
      } else if !inQuotes && c == UInt8(ascii: "/") && !takesPath(bytes[start..<position]) {
        break  // `kprobe:f/pid == 1/`: only uprobe-like attach points contain paths
      } else if !inQuotes && (isSpace(c) || c == UInt8(ascii: ",") || c == UInt8(ascii: "{")
        || c == UInt8(ascii: "<") || c == UInt8(ascii: "}") || c == UInt8(ascii: ";")) {
        break
      }
      position += 1
    }
    position = min(position, bytes.count)  // a `\` as the last byte stepped past the end
    if position == start { return nil }
    if inQuotes {
      diagnostics.error(.unterminatedStringInAttachPoint,
                        at: SourceRange(start: start, end: position))
    }
    return Token(.attachPoint, SourceRange(start: start, end: position))
  }

  /// Whether the attach point's provider names a file, so that `/` is part of it (Provider).
  private func takesPath(_ text: ArraySlice<UInt8>) -> Bool {
    guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return false }
    return Provider(spelling: String(decoding: text[text.startIndex..<colon], as: UTF8.self))?.namesFile == true
  }

  // MARK: Ordinary tokens

  public mutating func next() -> Token {
    let t = scanToken()
    log?.append(t)
    return t
  }

  private mutating func scanToken() -> Token {
    skipTrivia()
    let start = position
    guard position < bytes.count else { return Token(.endOfFile, SourceRange(start: start, end: start)) }
    let c = bytes[position]
    position += 1
    func make(_ kind: Token.Kind) -> Token { Token(kind, SourceRange(start: start, end: position)) }
    func follows(_ s: String) -> Bool {
      let u = Array(s.utf8)
      guard position + u.count <= bytes.count, Array(bytes[position..<position + u.count]) == u else { return false }
      position += u.count
      return true
    }

    switch c {
    case UInt8(ascii: "{"): return make(.lbrace)
    case UInt8(ascii: "}"): return make(.rbrace)
    case UInt8(ascii: "("): return make(.lparen)
    case UInt8(ascii: ")"): return make(.rparen)
    case UInt8(ascii: "["): return make(.lbracket)
    case UInt8(ascii: "]"): return make(.rbracket)
    case UInt8(ascii: ","): return make(.comma)
    case UInt8(ascii: ";"): return make(.semicolon)
    case UInt8(ascii: ":"): return make(.colon)
    case UInt8(ascii: "?"): return make(.question)
    case UInt8(ascii: "."): return follows(".") ? make(.dotDot) : make(.dot)
    case UInt8(ascii: "~"): return make(.tilde)
    case UInt8(ascii: "+"):
      if follows("+") { return make(.increment) }
      if follows("=") { return make(.compoundAssign(.add)) }
      return make(.plus)
    case UInt8(ascii: "-"):
      if follows("-") { return make(.decrement) }
      if follows("=") { return make(.compoundAssign(.subtract)) }
      if follows(">") { return make(.arrow) }
      return make(.minus)
    case UInt8(ascii: "*"): return follows("=") ? make(.compoundAssign(.multiply)) : make(.star)
    case UInt8(ascii: "/"): return follows("=") ? make(.compoundAssign(.divide)) : make(.slash)
    case UInt8(ascii: "%"): return follows("=") ? make(.compoundAssign(.remainder)) : make(.percent)
    case UInt8(ascii: "^"): return follows("=") ? make(.compoundAssign(.bitXor)) : make(.caret)
    case UInt8(ascii: "&"):
      if follows("&") { return make(.and) }
      if follows("=") { return make(.compoundAssign(.bitAnd)) }
      return make(.amp)
    case UInt8(ascii: "|"):
      if follows("|") { return make(.or) }
      if follows("=") { return make(.compoundAssign(.bitOr)) }
      return make(.pipe)
    case UInt8(ascii: "!"): return follows("=") ? make(.ne) : make(.bang)
    case UInt8(ascii: "="): return follows("=") ? make(.eq) : make(.assign)
    case UInt8(ascii: "<"):
      if follows("<=") { return make(.compoundAssign(.shiftLeft)) }
      if follows("<") { return make(.shl) }
      if follows("=") { return make(.le) }
      return make(.lt)
    case UInt8(ascii: ">"):
      if follows(">=") { return make(.compoundAssign(.shiftRight)) }
      if follows(">") { return make(.shr) }
      if follows("=") { return make(.ge) }
      return make(.gt)
    case UInt8(ascii: "\""):
      return lexString(start: start)
    case UInt8(ascii: "$"):
      if follows("#") { return make(.positionalCount) }
      if position < bytes.count && isDigit(bytes[position]) {
        while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        return make(.positional)
      }
      if position < bytes.count && isIdentStart(bytes[position]) {
        while position < bytes.count && isIdentContinue(bytes[position]) { position += 1 }
        return make(.variable)
      }
      diagnostics.error(.expectedVariableName, at: make(.invalid).range)
      return make(.invalid)
    case UInt8(ascii: "@"):
      while position < bytes.count && isIdentContinue(bytes[position]) { position += 1 }
      return make(.map)
    default:
      if isDigit(c) {
        while position < bytes.count && (isIdentContinue(bytes[position])) { position += 1 }
        return make(.integer)
      }
      if isIdentStart(c) {
        while position < bytes.count && isIdentContinue(bytes[position]) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if let k = Keyword(rawValue: text) { return make(.keyword(k)) }
        return make(.identifier)
      }
      // Consume a whole UTF-8 scalar so the error points at one character.
      while position < bytes.count && (bytes[position] & 0xC0) == 0x80 { position += 1 }
      let bad = source.slice(SourceRange(start: start, end: position))
      diagnostics.error(.invalidCharacter(bad), at: make(.invalid).range)
      return make(.invalid)
    }
  }

  private mutating func lexString(start: Int) -> Token {
    while position < bytes.count {
      let c = bytes[position]
      if c == UInt8(ascii: "\\") {
        position += 2
        continue
      }
      if c == UInt8(ascii: "\n") { break }
      position += 1
      if c == UInt8(ascii: "\"") { return Token(.string, SourceRange(start: start, end: position)) }
    }
    position = min(position, bytes.count)
    let range = SourceRange(start: start, end: position)
    diagnostics.error(.unterminatedString, at: range)
    return Token(.string, range)
  }

  /// Skips white space and comments; reports a `/*` comment that never ends.
  private mutating func skipTrivia() {
    while position < bytes.count {
      let c = bytes[position]
      if isSpace(c) {
        position += 1
      } else if c == UInt8(ascii: "/") && byte(at: position + 1) == UInt8(ascii: "/") {
        while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
      } else if c == UInt8(ascii: "/") && byte(at: position + 1) == UInt8(ascii: "*") {
        let start = position
        position += 2
        while position < bytes.count
          && !(bytes[position] == UInt8(ascii: "*") && byte(at: position + 1) == UInt8(ascii: "/")) {
          position += 1
        }
        if position >= bytes.count {
          diagnostics.error(.unterminatedComment,
                            at: SourceRange(start: start, end: start + 2))
        } else {
          position += 2
        }
      } else {
        break
      }
    }
  }
}

func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }
func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
func isIdentStart(_ c: UInt8) -> Bool {
  (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "_")
}
func isIdentContinue(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
