import SwiftraceBasics

/// Recursive descent over grammar/swiftrace.ebnf; each `parse...` function names the rule it
/// implements. The parser reports every syntax error it finds and recovers at `;` and block ends.
public final class Parser {
  /// What encloses the expression being parsed. It decides what `>` and `/` mean: the innermost
  /// angle block makes `>` a possible block end, a predicate makes `/` its end.
  enum Enclosure { case angleBlock, braceBlock, predicate, group }

  var lexer: Lexer
  var token: Token
  let diagnostics: DiagnosticEngine
  let source: SourceFile
  let ids = NodeIDAllocator()
  var enclosures: [Enclosure] = []
  /// Set by an error, cleared at the next statement or probe: errors in between are usually
  /// consequences of the first one, so one mistake gives one error.
  var panicking = false
  /// While a macro's body is parsed: its bare parameters, which may stand for types there
  /// (`sizeof(t)`, `(t)x`, `let $v: t`, `offsetof(t, f)`), as a call's `typeof(T)` gives them.
  var typeParameters: Set<String> = []
  /// How deeply the rule being parsed is nested (expressions, `?:` and `else if` chains,
  /// blocks). The type checker and code generator recurse over the tree as the parser does, so a
  /// script nested deeper than any real one gets one located error instead of overflowing the
  /// stack.
  public static let maxNesting = 256
  var nesting = 0
  /// Binary operators on the path from the root of the expression being parsed: a flat
  /// `1 + 1 + ...` is a left-leaning tree as deep as it is long. Bounded apart from nesting, and
  /// higher; the compiler runs on a thread with a stack for both (`withLargeStack`).
  public static let maxOperators = 4096
  var operators = 0
  /// Set once nesting went too deep: the rest of the input is skipped and no more errors follow.
  var abandoned = false
  /// `a ?: b` expressions so far: each has a variable of its own.
  var elvisCount = 0
  /// Where the predicates' slashes and the probe blocks' delimiters (`{ }` or `< >`) start: what
  /// the formatter reads `/`, `<` and `>` as.
  var probeDelimiters: Set<Int> = []
  /// The first construct of newer bpftrace's language (Program.newerSyntax).
  var newerSyntax: SourceRange?

  /// Notes that the script uses a construct of bpftrace 0.18 and later at RANGE.
  func noteNewerSyntax(_ range: SourceRange) {
    if newerSyntax == nil { newerSyntax = range }
  }

  public init(source: SourceFile, diagnostics: DiagnosticEngine) {
    self.source = source
    self.diagnostics = diagnostics
    self.lexer = Lexer(source: source, diagnostics: diagnostics)
    self.token = Token(.endOfFile, SourceRange(start: 0, end: 0))
  }

  public static func parse(_ source: SourceFile, diagnostics: DiagnosticEngine) -> Program {
    Parser(source: source, diagnostics: diagnostics).parseProgram()
  }

  // MARK: Helpers

  func advance() { token = lexer.next() }

  func text(_ t: Token) -> String { source.slice(t.range) }

  func at(_ kind: Token.Kind) -> Bool { token.kind == kind }

  func error(_ message: DiagnosticMessage, at range: SourceRange) {
    guard !panicking && !abandoned else { return }
    panicking = true
    diagnostics.error(message, at: range)
  }

  /// Enters one more level of nesting, or, past the limit, reports it and skips the rest of the
  /// input. Every caller that got true calls `leave()`.
  func enter() -> Bool {
    guard nesting < Parser.maxNesting else {
      abandon(.tooDeep(levels: Parser.maxNesting))
      return false
    }
    nesting += 1
    return true
  }

  /// Past one of the parser's bounds: one error here, and the rest of the input is skipped (the
  /// passes after the parser could not hold a deeper tree).
  func abandon(_ message: DiagnosticMessage) {
    if !abandoned {
      panicking = false
      error(message, at: token.range)
      abandoned = true
    }
    while !at(.endOfFile) { advance() }
  }

  func leave() { nesting -= 1 }

  /// Consumes `kind` or reports what was expected instead.
  @discardableResult
  func expect(_ kind: Token.Kind, _ context: String) -> Bool {
    if at(kind) {
      advance()
      return true
    }
    error(.expected("\(kind)", context, found: describe(token)), at: token.range)
    return false
  }

  func describe(_ t: Token) -> String {
    switch t.kind {
    case .endOfFile: return "end of input"
    case .integer, .identifier, .variable, .map, .positional, .string: return "'\(text(t))'"
    default: return t.kind.description
    }
  }

  // MARK: program = { cDefinition } [ config ] { mapDeclaration | macro | probe } EOF

  func parseProgram(expandingMacros: Bool = true) -> Program {
    var probes: [ProbeDecl] = []
    var definitions: [(text: String, range: SourceRange)] = []
    while probes.isEmpty, let c = lexer.nextCDefinition() {
      definitions.append((text(c), c.range))
    }
    if lexer.atConfigBlock() { noteNewerSyntax(SourceRange(start: lexer.position, end: lexer.position + 6)) }
    let config = lexer.atConfigBlock() ? parseConfigBlock() : []
    var declarations: [MapDeclaration] = []
    var macros: [MacroDefinition] = []
    var imports: [Import] = []
    while true {
      if lexer.peek().kind == .endOfFile { break }
      let before = lexer.position
      if lexer.atImport() {
        if let i = parseImport() {
          imports.append(i)
          noteNewerSyntax(i.range)
        }
      } else if lexer.atMapDeclaration() {
        if let declaration = parseMapDeclaration() {
          declarations.append(declaration)
          noteNewerSyntax(declaration.range)
        }
      } else if lexer.atMacroDefinition() {
        if let macro = parseMacroDefinition() {
          macros.append(macro)
          noteNewerSyntax(macro.nameRange)
        }
      } else if let probe = parseProbe() {
        probes.append(probe)
        // `begin`, `end`: newer bpftrace's spelling.
        for point in probe.attachPoints where point.text == "begin" || point.text == "end" { noteNewerSyntax(point.range) }
      }
      if lexer.position == before {  // no progress: skip one token so the loop always ends
        advance()
      }
    }
    let program = Program(cDefinitions: definitions, config: config, mapDeclarations: declarations, macros: macros,
                          probes: probes)
    program.newerSyntax = newerSyntax
    program.imports = imports
    program.nodeIDs = ids
    if expandingMacros && !abandoned {
      MacroExpander(macros: macros, prelude: Prelude.macros, ids: ids, diagnostics: diagnostics).expand(program)
      Scopes.resolve(program)
    }
    return program
  }

  // MARK: import = "import" string ";"

  func parseImport() -> Import? {
    panicking = false
    advance()  // import
    let start = token.range
    advance()
    let path = token
    guard at(.string) else {
      error(.expected("a file's path in quotes", "after 'import'", found: describe(token)), at: token.range)
      skipToTopLevelBlockEnd()
      return nil
    }
    // The `;` is left as the current token: the next probe starts in attach-point mode after it.
    if lexer.peek().kind == .semicolon { advance() }
    return Import(path: decodeString(path), range: .to(start, path.range))
  }

  // MARK: macro = "macro" identifier "(" [ parameter { "," parameter } ] ")" "{" statements "}"
  //       parameter = variable | map | identifier

  func parseMacroDefinition() -> MacroDefinition? {
    panicking = false
    advance()  // macro
    let start = token.range
    advance()
    let name = token
    guard at(.identifier) else {
      error(.expected("the macro's name", "after 'macro'", found: describe(token)), at: token.range)
      skipToTopLevelBlockEnd()
      return nil
    }
    advance()
    guard expect(.lparen, "after the macro's name") else {
      skipToTopLevelBlockEnd()
      return nil
    }
    var parameters: [MacroDefinition.Parameter] = []
    while !at(.rparen) {
      let kind: MacroDefinition.Parameter.Kind
      switch token.kind {
      case .variable: kind = .variable
      case .map: kind = .map
      case .identifier: kind = .expression
      default:
        error(.macroParameter(found: describe(token)), at: token.range)
        skipToTopLevelBlockEnd()
        return nil
      }
      parameters.append(.init(name: text(token), kind: kind, range: token.range))
      advance()
      guard at(.comma) else { break }
      advance()
    }
    guard expect(.rparen, "after the macro's parameters"), at(.lbrace) else {
      if !panicking { error(.expected("'{'", "to start the macro's body", found: describe(token)), at: token.range) }
      skipToTopLevelBlockEnd()
      return nil
    }
    let open = token.range
    advance()
    enclosures.append(.braceBlock)
    typeParameters = Set(parameters.filter { $0.kind == .expression }.map(\.name))
    var (statements, endsWithValue) = parseStatementList(until: .rbrace)
    typeParameters = []
    enclosures.removeLast()
    let end = token.range
    // The `}` is consumed by leaving `token` behind: the next probe starts in attach-point mode.
    if !at(.rbrace) { error(.expectedBlockEnd("'}'", found: describe(token)), at: token.range) }
    var value: Expr?
    if endsWithValue, let last = statements.last, case .expression(let e) = last.kind {
      value = e
      statements.removeLast()
    }
    return MacroDefinition(name: text(name), parameters: parameters, body: Block(statements: statements, range: .to(open, end)),
                           value: value, range: .to(start, end), nameRange: name.range)
  }

  // MARK: mapDeclaration = "let" map "=" kind "(" integer ")" [";"]

  func parseMapDeclaration() -> MapDeclaration? {
    panicking = false
    advance()  // let
    let start = token.range
    advance()
    let name = token
    func fail(_ message: DiagnosticMessage) -> MapDeclaration? {
      error(message, at: token.range)
      // The rest of the declaration, up to its `;` (the probes after it start in attach-point mode).
      while !at(.semicolon) && !at(.endOfFile) && lexer.peek().kind != .endOfFile && !at(.rparen) { advance() }
      if lexer.peek().kind == .semicolon { advance() }
      return nil
    }
    advance()
    guard at(.assign) else { return fail(.expected("'='", "after the map's name", found: describe(token))) }
    advance()
    let kind = token
    guard at(.identifier) else { return fail(.expected("a map kind such as lruhash", "after '='", found: describe(token))) }
    advance()
    guard at(.lparen) else { return fail(.expected("'('", "after the map kind", found: describe(token))) }
    advance()
    let count = token
    guard at(.integer) else { return fail(.expected("the number of entries", "in the map declaration", found: describe(token))) }
    let entries = parseInteger(count)
    advance()
    guard at(.rparen) else { return fail(.expected("')'", "after the number of entries", found: describe(token))) }
    let end = token.range
    // The `)` stays the current token: the next probe starts in attach-point mode after it (or `;`).
    if lexer.peek().kind == .semicolon { advance() }
    return MapDeclaration(name: text(name), kind: text(kind), entries: entries, range: .to(start, end), kindRange: kind.range)
  }

  // MARK: config = "config" "=" "{" { key "=" value [";"] } "}"

  func parseConfigBlock() -> [ConfigAssignment] {
    advance()  // config
    advance()  // =
    advance()
    guard expect(.lbrace, "to start the config block") else {
      skipToTopLevelBlockEnd()
      return []
    }
    var assignments: [ConfigAssignment] = []
    while !at(.rbrace) && !at(.endOfFile) {
      panicking = false
      let key = token
      guard at(.identifier) else {
        error(.expectedConfigKey(found: describe(token)), at: token.range)
        skipToTopLevelBlockEnd()
        return assignments
      }
      advance()
      guard expect(.assign, "after the config key") else {
        skipToTopLevelBlockEnd()
        return assignments
      }
      let valueToken = token
      let value: ConfigValue
      switch token.kind {
      case .integer: value = .integer(parseInteger(token))
      case .identifier: value = .text(text(token))
      case .string: value = .text(decodeString(token))
      default:
        error(.expectedConfigValue(found: describe(token)), at: token.range)
        skipToTopLevelBlockEnd()
        return assignments
      }
      advance()
      assignments.append(ConfigAssignment(key: text(key), value: value, keyRange: key.range, valueRange: valueToken.range))
      if at(.semicolon) { advance() } else if !at(.rbrace) {
        error(.expected("';'", "after the config value", found: describe(token)), at: token.range)
        skipToTopLevelBlockEnd()
        return assignments
      }
    }
    // The closer is consumed by leaving `token` behind: the probes start in attach-point mode.
    if !at(.rbrace) { error(.expectedBlockEnd("'}'", found: describe(token)), at: token.range) }
    return assignments
  }

  // MARK: probe = attachPoint { "," attachPoint } [ "/" expression "/" ] block

  func parseProbe() -> ProbeDecl? {
    panicking = false
    guard let first = lexer.nextAttachPoint() else {
      advance()
      error(.expectedProbe(found: describe(token)), at: token.range)
      skipToTopLevelBlockEnd()
      return nil
    }
    var points = [attachPoint(first)]
    advance()
    while at(.comma) {
      guard let next = lexer.nextAttachPoint() else {
        advance()
        error(.expectedAttachPointAfterComma, at: token.range)
        break
      }
      points.append(attachPoint(next))
      advance()
    }

    var predicate: Expr?
    if at(.slash) {
      probeDelimiters.insert(token.range.start)
      advance()
      enclosures.append(.predicate)
      predicate = parseExpression()
      enclosures.removeLast()
      if at(.slash) { probeDelimiters.insert(token.range.start) }
      expect(.slash, "to end the predicate")
    }

    let style: ProbeDecl.BlockStyle
    let closer: Token.Kind
    switch token.kind {
    case .lbrace: (style, closer) = (.braces, .rbrace)
    case .lt: (style, closer) = (.angles, .gt)
    default:
      error(.expectedBlock(found: describe(token)), at: token.range)
      skipToTopLevelBlockEnd()
      return nil
    }
    let open = token.range
    probeDelimiters.insert(open.start)
    advance()
    enclosures.append(style == .braces ? .braceBlock : .angleBlock)
    let statements = parseStatements(until: closer)
    enclosures.removeLast()
    let end = token.range
    if at(closer) { probeDelimiters.insert(end.start) }
    if !at(closer) {
      error(.expectedBlockEnd("\(closer)", found: describe(token)), at: token.range)
    }
    // The closer is consumed by leaving `token` behind: the next probe starts in attach-point mode.
    let body = Block(statements: statements, range: .to(open, end))
    return ProbeDecl(id: ids.make(), attachPoints: points, predicate: predicate, body: body,
                     blockStyle: style, range: .to(points[0].range, end))
  }

  /// An attach point token; a name before it, `name=kprobe:f` (bpftrace 0.22 and later, reserved
  /// for bpftrace's own use), is dropped.
  func attachPoint(_ t: Token) -> AttachPoint {
    let whole = text(t)
    if let equals = whole.firstIndex(of: "="), !whole[..<equals].contains(":"), !whole[..<equals].contains("\""),
      let first = whole.first, first.isLetter || first == "_",
      whole[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
      let range = SourceRange(start: t.range.start + whole[..<equals].utf8.count + 1, end: t.range.end)
      noteNewerSyntax(t.range)
      return AttachPoint(text: String(whole[whole.index(after: equals)...]), range: range)
    }
    return AttachPoint(text: whole, range: t.range)
  }

  /// After a broken probe header, skips to the end of its block so the next probe parses cleanly.
  func skipToTopLevelBlockEnd() {
    var depth = 0
    while !at(.endOfFile) {
      if at(.lbrace) { depth += 1 }
      if at(.rbrace) {
        depth -= 1
        if depth <= 0 { return }
      }
      advance()
    }
  }

  // MARK: statements = [ statement { ";" statement } [ ";" ] ]   (no ";" needed after an if)

  func parseStatements(until closer: Token.Kind) -> [Stmt] {
    parseStatementList(until: closer).statements
  }

  /// The statements up to `closer`, and whether the last is an expression with no `;` after it:
  /// the value of a block expression (`{ let $b = 1; $b }`).
  func parseStatementList(until closer: Token.Kind) -> (statements: [Stmt], endsWithValue: Bool) {
    var statements: [Stmt] = []
    var endsWithValue = false
    while !at(closer) && !at(.endOfFile) {
      endsWithValue = false
      if at(.semicolon) {
        advance()
        continue
      }
      let before = token.range.start
      let isBraceBlock = at(.lbrace)
      panicking = false
      let stmt = parseStatement()
      if let stmt { statements.append(stmt) }
      if case .expression? = stmt?.kind, at(closer) { endsWithValue = true }
      switch stmt?.kind {
      case .ifElse?, .whileLoop?, .unroll?, .forRange?, .forMap?, .block?: continue  // block statements need no ';'
      case .expression? where isBraceBlock: continue  // `{ ...; value }` too
      default: break
      }
      if at(.semicolon) {
        advance()
      } else if !at(closer) && !at(.endOfFile) {
        error(.expectedSemicolon(found: describe(token)), at: token.range)
        recover(to: closer)
      }
      if token.range.start == before && !at(closer) && !at(.endOfFile) { advance() }
    }
    return (statements, endsWithValue)
  }

  /// Skips to the next `;` or to `closer` at this nesting level; unmatched `)` and `]` are skipped.
  func recover(to closer: Token.Kind) {
    var depth = 0
    while !at(.endOfFile) {
      switch token.kind {
      case .lbrace, .lparen, .lbracket: depth += 1
      case .rparen, .rbracket:
        depth = max(0, depth - 1)
      case .rbrace:
        if depth == 0 { return }
        depth -= 1
      case .semicolon where depth == 0:
        advance()
        return
      default: break
      }
      if depth == 0 && token.kind == closer { return }
      advance()
    }
  }

  // MARK: let = "let" variable [ ":" type ] [ "=" expression ]

  func parseLet() -> Stmt {
    let start = token.range
    noteNewerSyntax(start)
    advance()  // let
    let variable = token
    let target = Expr(id: ids.make(), kind: .variable(text(variable)), range: variable.range)
    advance()
    var type: DeclaredType?
    if at(.colon) {
      advance()
      type = parseDeclaredType()
    }
    guard at(.assign) else {
      return Stmt(id: ids.make(), kind: .declare(target: target, type: type, value: nil), range: .to(start, variable.range))
    }
    advance()
    let value = parseExpression()
    return Stmt(id: ids.make(), kind: .declare(target: target, type: type, value: value), range: .to(start, value.range))
  }

  /// The type of a `let`: an integer type (`uint8`, `int64`, ...), `bool`, `string` or
  /// `string[N]`.
  func parseDeclaredType() -> DeclaredType? {
    guard at(.identifier) else {
      error(.expectedDeclaredType(found: describe(token)), at: token.range)
      return nil
    }
    let word = text(token)
    if let integer = IntegerType(name: word) {
      advance()
      return .integer(integer)
    }
    if word == "typeof", lexer.peek().kind == .lparen { return parseTypeof() }
    if typeParameters.contains(word) {
      advance()
      return .parameter(word)
    }
    switch word {
    case "bool":
      advance()
      return .bool
    case "string":
      advance()
      guard at(.lbracket) else { return .string(size: nil) }
      advance()
      let size = at(.integer) ? Int(exactly: parseInteger(token)) : nil
      guard let size, size > 0, size <= 1 << 16 else {
        error(.expected("a string size from 1 to 65536", "in 'string[N]'", found: describe(token)), at: token.range)
        return nil
      }
      advance()
      expect(.rbracket, "after the string's size")
      return .string(size: size)
    default:
      error(.expectedDeclaredType(found: describe(token)), at: token.range)
      return nil
    }
  }

  /// `typeof(type)` or `typeof(expression)`: a declared type, or an expression whose type it is.
  func parseTypeof() -> DeclaredType? {
    advance()  // typeof
    advance()  // (
    var type: DeclaredType?
    if at(.identifier), ["bool", "string"].contains(text(token)) || IntegerType(name: text(token)) != nil,
      [.rparen, .lbracket].contains(lexer.peek().kind) {
      type = parseDeclaredType()
    } else {
      enclosures.append(.group)
      type = .typeOf(parseExpression())
      enclosures.removeLast()
    }
    expect(.rparen, "to close typeof")
    return type
  }

  // MARK: statement = ifStatement | assignment | expression

  func parseStatement() -> Stmt? {
    guard enter() else { return nil }
    defer { leave() }
    let start = token.range
    switch token.kind {
    case .keyword(.if):
      return parseIf()
    case .keyword(.while):
      return parseWhile()
    case .keyword(.unroll):
      return parseUnroll()
    case .keyword(.for):
      return parseFor()
    case .keyword(.break), .keyword(.continue), .keyword(.return):
      if at(.keyword(.return)) {
        advance()
        // `return value` (bpftrace 0.22 and later, for test probes): a value follows unless the
        // statement ends here.
        guard !at(.semicolon) && !at(.rbrace) && !at(.gt) && !at(.endOfFile) else {
          return Stmt(id: ids.make(), kind: .returnProbe(value: nil), range: start)
        }
        let value = parseExpression()
        return Stmt(id: ids.make(), kind: .returnProbe(value: value), range: .to(start, value.range))
      }
      let kind: Stmt.Kind = at(.keyword(.break)) ? .breakLoop : .continueLoop
      advance()
      return Stmt(id: ids.make(), kind: kind, range: start)
    case .lbrace:
      // A block that ends with a value is a block expression (the value of a block or macro
      // body it ends); otherwise a block of statements.
      let (block, value) = parseBlockWithValue()
      guard let value else { return Stmt(id: ids.make(), kind: .block(block), range: block.range) }
      return Stmt(id: ids.make(), kind: .expression(Expr(id: ids.make(), kind: .block(block, value: value), range: block.range)),
                  range: block.range)
    case .keyword(.else):
      error(.elseWithoutIf, at: token.range)
      advance()
      return nil
    case .identifier where text(token) == "let" && lexer.peek().kind == .variable:
      return parseLet()
    default:
      break
    }
    let target = parseExpression()
    let op: BinaryOperator?
    switch token.kind {
    case .assign: op = nil
    case .compoundAssign(let o): op = o
    default:
      return Stmt(id: ids.make(), kind: .expression(target), range: target.range)
    }
    switch target.kind {
    case .map, .variable: break
    default:
      error(.invalidAssignmentTarget, at: target.range)
    }
    advance()
    let value = parseExpression()
    return Stmt(id: ids.make(), kind: .assign(target: target, op: op, value: value), range: .to(start, value.range))
  }

  // MARK: ifStatement = "if" expression braceBlock [ "else" ( ifStatement | braceBlock ) ]

  func parseIf() -> Stmt {
    let start = token.range
    advance()
    let condition = parseCondition(after: "'if'")
    let then = parseBraceBlock()
    var elseBlock: Block?
    if at(.keyword(.else)) {
      advance()
      if at(.keyword(.if)) {
        // An `else if` chain nests: each link is one level deeper in the tree.
        guard enter() else { return Stmt(id: ids.make(), kind: .expression(condition), range: start) }
        let nested = parseIf()
        leave()
        elseBlock = Block(statements: [nested], range: nested.range)
      } else {
        elseBlock = parseBraceBlock()
      }
    }
    let end = elseBlock?.range ?? then.range
    return Stmt(id: ids.make(), kind: .ifElse(condition: condition, then: then, else: elseBlock), range: .to(start, end))
  }

  // MARK: whileStatement = "while" expression braceBlock

  func parseWhile() -> Stmt {
    let start = token.range
    advance()
    let condition = parseCondition(after: "'while'")
    let body = parseBraceBlock()
    return Stmt(id: ids.make(), kind: .whileLoop(condition: condition, body: body), range: .to(start, body.range))
  }

  // MARK: forStatement = "for" ( "(" forHeader ")" | forHeader ) braceBlock
  //       forHeader = variable ":" ( expression ".." expression | map )

  func parseFor() -> Stmt? {
    let start = token.range
    advance()
    // `for ($x : ...)` as bpftrace 0.17 writes it, or `for $x : ...` (0.18 and later).
    let parenthesized = at(.lparen)
    if parenthesized { advance() } else { noteNewerSyntax(token.range) }
    guard at(.variable) else {
      error(.expectedLoopVariable, at: token.range)
      while !at(.lbrace) && !at(.rbrace) && !at(.semicolon) && !at(.endOfFile) { advance() }
      if at(.lbrace) { _ = parseBraceBlock() }
      return nil
    }
    let name = text(token)
    advance()
    expect(.colon, "after the loop variable")
    if at(.map) {
      let map = parsePrimary()
      if parenthesized { expect(.rparen, "to close the parenthesis") }
      let body = parseBraceBlock()
      return Stmt(id: ids.make(), kind: .forMap(variable: name, map: map, body: body), range: .to(start, body.range))
    }
    enclosures.append(.group)
    let from = parseBinary(minPrecedence: 1)
    expect(.dotDot, "in the range 'start..end'")
    let to = parseBinary(minPrecedence: 1)
    enclosures.removeLast()
    if parenthesized && !expect(.rparen, "to close the parenthesis") {
      while !at(.rparen) && !at(.lbrace) && !at(.rbrace) && !at(.endOfFile) { advance() }
      if at(.rparen) { advance() }
    }
    let body = parseBraceBlock()
    return Stmt(id: ids.make(), kind: .forRange(variable: name, start: from, end: to, body: body),
                range: .to(start, body.range))
  }

  // MARK: unrollStatement = "unroll" "(" expression ")" braceBlock

  func parseUnroll() -> Stmt {
    let start = token.range
    advance()
    let count = parseParenthesized(after: "'unroll'")
    let body = parseBraceBlock()
    return Stmt(id: ids.make(), kind: .unroll(count: count, body: body), range: .to(start, body.range))
  }

  /// `if (c)` and `while (c)` as bpftrace 0.17 writes them, or `if c` (0.18 and later): the
  /// condition is one expression either way (parentheses make a primary), ended by the block's
  /// `{`; inside it, `>` compares even in an angle-block probe.
  func parseCondition(after keyword: String) -> Expr {
    if !at(.lparen) { noteNewerSyntax(token.range) }
    if at(.lbrace) {
      // The block is there: read it as the body, so that one error is all there is.
      error(.expectedCondition(after: keyword), at: token.range)
      return Expr(id: ids.make(), kind: .integer(0), range: token.range)
    }
    enclosures.append(.group)
    let e = parseExpression()
    enclosures.removeLast()
    return e
  }

  func parseParenthesized(after what: String) -> Expr {
    expect(.lparen, "after \(what)")
    enclosures.append(.group)
    let e = parseExpression()
    enclosures.removeLast()
    expect(.rparen, "to close the parenthesis")
    return e
  }

  // MARK: braceBlock = "{" statements "}"

  func parseBraceBlock() -> Block {
    let start = token.range
    guard expect(.lbrace, "to start the block") else { return Block(statements: [], range: start) }
    enclosures.append(.braceBlock)
    let statements = parseStatements(until: .rbrace)
    enclosures.removeLast()
    let end = token.range
    expect(.rbrace, "to end the block")
    return Block(statements: statements, range: .to(start, end))
  }
}
