import SwiftraceBasics

extension Parser {
  // MARK: expression = binary [ "?" expression ":" expression ]

  func parseExpression() -> Expr {
    let condition = parseBinary(minPrecedence: 1)
    guard at(.question) else { return condition }
    // A `?:` chain nests: `a ? b : c ? d : e` is one level deeper at each link.
    guard enter() else { return condition }
    defer { leave() }
    advance()
    if at(.colon) { return parseElvis(condition) }
    enclosures.append(.group)  // `a ? b > c : d` inside an angle block: `>` compares
    let then = parseExpression()
    enclosures.removeLast()
    expect(.colon, "in the conditional expression")
    let otherwise = parseExpression()
    return Expr(id: ids.make(), kind: .ternary(condition, then, otherwise), range: .to(condition.range, otherwise.range))
  }

  /// `a ?: b` (bpftrace 0.25 and later): `a` when it is not zero, else `b`; `a` is evaluated once.
  /// Written as the block `{ $v = a; $v ? $v : b }` with a variable of its own (no script can name
  /// it: `#` cannot be in a name).
  func parseElvis(_ value: Expr) -> Expr {
    noteNewerSyntax(token.range)
    advance()  // :
    let otherwise = parseExpression()
    elvisCount += 1
    let name = "$elvis#\(elvisCount)"
    func variable() -> Expr { Expr(id: ids.make(), kind: .variable(name), range: value.range) }
    let bind = Stmt(id: ids.make(), kind: .assign(target: variable(), op: nil, value: value), range: value.range)
    let choice = Expr(id: ids.make(), kind: .ternary(variable(), variable(), otherwise), range: .to(value.range, otherwise.range))
    return Expr(id: ids.make(), kind: .block(Block(statements: [bind], range: value.range), value: choice),
                range: .to(value.range, otherwise.range))
  }

  // MARK: binary = unary { binaryOperator unary }   (C precedence, left associative)

  func parseBinary(minPrecedence: Int) -> Expr {
    var lhs = parseUnary()
    // Each operator in a chain is one more level of the (left-leaning) tree.
    var chain = 0
    defer { operators -= chain }
    while let op = binaryOperator(token.kind), op.precedence >= minPrecedence, continuesExpression(op) {
      guard operators < Parser.maxOperators else {
        abandon(.tooLong(operators: Parser.maxOperators))
        return lhs
      }
      operators += 1
      chain += 1
      advance()
      let rhs = parseBinary(minPrecedence: op.precedence + 1)
      lhs = Expr(id: ids.make(), kind: .binary(op, lhs, rhs), range: .to(lhs.range, rhs.range))
    }
    return lhs
  }

  func binaryOperator(_ kind: Token.Kind) -> BinaryOperator? {
    switch kind {
    case .plus: return .add
    case .minus: return .subtract
    case .star: return .multiply
    case .slash: return .divide
    case .percent: return .remainder
    case .amp: return .bitAnd
    case .pipe: return .bitOr
    case .caret: return .bitXor
    case .shl: return .shiftLeft
    case .shr: return .shiftRight
    case .eq: return .equal
    case .ne: return .notEqual
    case .lt: return .less
    case .le: return .lessEqual
    case .gt: return .greater
    case .ge: return .greaterEqual
    case .and: return .logicalAnd
    case .or: return .logicalOr
    default: return nil
    }
  }

  /// Whether `op` (the current token) continues the expression or ends the enclosing construct.
  /// - In a predicate, `/` ends it (write `(a / b)` to divide).
  /// - Directly in an angle block `< ... >`, `>` is a comparison only when an operand follows it
  ///   that does not start the next probe (`< @x = pid > 1 >`); otherwise it closes the block.
  func continuesExpression(_ op: BinaryOperator) -> Bool {
    switch (enclosures.last, op) {
    case (.predicate?, .divide):
      return false
    case (.angleBlock?, .greater):
      let next = lexer.peek()
      return startsOperand(next) && !startsProbe(next)
    default:
      return true
    }
  }

  func startsOperand(_ t: Token) -> Bool {
    switch t.kind {
    case .integer, .string, .identifier, .variable, .positional, .positionalCount, .map, .lparen,
      .minus, .bang, .tilde, .increment, .decrement:
      return true
    default:
      return false
    }
  }

  /// `BEGIN`, `END` (in any case), or a name followed directly by `:` (`kprobe:f`, `t:syscalls:x`).
  func startsProbe(_ t: Token) -> Bool {
    guard t.kind == .identifier else { return false }
    let provider = Provider(spelling: text(t))
    return provider == .begin || provider == .end || lexer.byte(at: t.range.end) == UInt8(ascii: ":")
  }

  // MARK: unary = ( "-" | "!" | "~" ) unary | ( "++" | "--" ) postfix | postfix

  func parseUnary() -> Expr {
    let start = token.range
    guard enter() else { return Expr(id: ids.make(), kind: .integer(0), range: start) }
    defer { leave() }
    let op: UnaryOperator
    switch token.kind {
    case .minus: op = .negate
    case .bang: op = .logicalNot
    case .tilde: op = .bitNot
    case .increment, .decrement:
      let increment = at(.increment)
      advance()
      let operand = parsePostfix()
      checkIncrementTarget(operand)
      return Expr(id: ids.make(), kind: .incrementDecrement(increment: increment, prefix: true, operand),
                  range: .to(start, operand.range))
    case .star:
      advance()
      let operand = parseUnary()
      return Expr(id: ids.make(), kind: .dereference(operand), range: .to(start, operand.range))
    case .amp:
      // `&$x` (bpftrace 0.20 and later): the address of a scratch variable.
      noteNewerSyntax(token.range)
      advance()
      let operand = parseUnary()
      return Expr(id: ids.make(), kind: .addressOf(operand), range: .to(start, operand.range))
    default:
      return parsePostfix()
    }
    advance()
    let operand = parseUnary()
    return Expr(id: ids.make(), kind: .unary(op, operand), range: .to(start, operand.range))
  }

  func checkIncrementTarget(_ e: Expr) {
    switch e.kind {
    case .map, .variable: break
    default: error(.invalidIncrementTarget, at: e.range)
    }
  }

  // MARK: postfix = primary { "++" | "--" | "." identifier | "->" identifier }

  func parsePostfix() -> Expr {
    var e = parsePrimary()
    while true {
      switch token.kind {
      case .increment, .decrement:
        // `@x++ > 1` inside an angle block is still a post-increment followed by a comparison.
        let increment = at(.increment)
        checkIncrementTarget(e)
        let end = token.range
        advance()
        e = Expr(id: ids.make(), kind: .incrementDecrement(increment: increment, prefix: false, e), range: .to(e.range, end))
      case .lbracket:
        advance()
        enclosures.append(.group)
        let index = parseExpression()
        enclosures.removeLast()
        let end = token.range
        expect(.rbracket, "after the index")
        e = Expr(id: ids.make(), kind: .index(e, index), range: .to(e.range, end))
      case .dot where lexer.peek().kind == .integer:
        advance()
        let index = Int(text(token)) ?? 0
        let end = token.range
        advance()
        e = Expr(id: ids.make(), kind: .tupleIndex(e, index), range: .to(e.range, end))
      case .dot, .arrow:
        let arrow = at(.arrow)
        advance()
        guard at(.identifier) || isKeywordToken else {
          error(.expectedFieldName(after: arrow ? "'->'" : "'.'", found: describe(token)), at: token.range)
          return e
        }
        let name = text(token)
        let end = token.range
        advance()
        e = Expr(id: ids.make(), kind: .field(e, name: name, arrow: arrow), range: .to(e.range, end))
      default:
        return e
      }
    }
  }

  private var isKeywordToken: Bool {
    if case .keyword = token.kind { return true }
    return false
  }

  // MARK: primary = integer | string | "$name" | "$N" | "$#" | map | call | builtin | "(" expression ")"

  func parsePrimary() -> Expr {
    let t = token
    switch t.kind {
    case .integer:
      advance()
      return Expr(id: ids.make(), kind: .integer(parseInteger(t)), range: t.range)
    case .string:
      advance()
      return Expr(id: ids.make(), kind: .string(decodeString(t)), range: t.range)
    case .variable:
      advance()
      return Expr(id: ids.make(), kind: .variable(text(t)), range: t.range)
    case .positional:
      advance()
      let n = Int(text(t).dropFirst()) ?? 0
      if n == 0 { error(.positionalStartsAtOne, at: t.range) }
      return Expr(id: ids.make(), kind: .positional(n), range: t.range)
    case .positionalCount:
      advance()
      return Expr(id: ids.make(), kind: .positionalCount, range: t.range)
    case .map:
      advance()
      var keys: [Expr] = []
      var end = t.range
      if at(.lbracket) {
        advance()
        keys = parseList(until: .rbracket, what: "map key")
        end = token.range
        expect(.rbracket, "after the map keys")
      }
      return Expr(id: ids.make(), kind: .map(name: text(t), keys: keys), range: .to(t.range, end))
    case .identifier where (text(t) == "sizeof" || text(t) == "offsetof") && lexer.peek().kind == .lparen:
      return parseTypeQuery()
    case .identifier where text(t) == "container_of" && lexer.peek().kind == .lparen:
      return parseContainerOf()
    case .identifier where text(t) == "typeof" && lexer.peek().kind == .lparen:
      return parseTypeArgument()
    case .identifier where (text(t) == "true" || text(t) == "false") && lexer.peek().kind != .lparen:
      advance()
      noteNewerSyntax(t.range)
      return Expr(id: ids.make(), kind: .boolean(text(t) == "true"), range: t.range)
    case .identifier:
      advance()
      if at(.lparen) {
        advance()
        let args = parseList(until: .rparen, what: "argument")
        let end = token.range
        expect(.rparen, "after the arguments of '\(text(t))'")
        return Expr(id: ids.make(), kind: .call(name: text(t), args: args), range: .to(t.range, end))
      }
      return Expr(id: ids.make(), kind: .builtin(text(t)), range: t.range)
    case .lbrace:
      return parseBlockExpression()
    case .lparen:
      advance()
      // `(uint16)x`, `(bool)x`, `(uint8[4])x`: a parenthesized value type is a cast.
      // `(typeof(e))x`: a cast to the type of e.
      if at(.identifier), text(token) == "typeof", lexer.peek().kind == .lparen, let type = parseTypeof() {
        expect(.rparen, "to close the cast")
        let operand = parseUnary()
        let cast: CastType
        switch type {
        case .integer(let t): cast = .integer(t)
        case .bool: cast = .bool
        case .typeOf(let e): cast = .typeOf(e)
        case .parameter(let name): cast = .parameter(name)
        case .string:
          error(.expected("a value type", "in the cast", found: "string"), at: t.range)
          return operand
        }
        return Expr(id: ids.make(), kind: .cast(cast, operand), range: .to(t.range, operand.range))
      }
      // `(t)x` in a macro whose parameter t stands for a type.
      if at(.identifier), typeParameters.contains(text(token)), lexer.peek().kind == .rparen, castOperandFollows() {
        let name = text(token)
        advance()
        advance()
        let operand = parseUnary()
        return Expr(id: ids.make(), kind: .cast(.parameter(name), operand), range: .to(t.range, operand.range))
      }
      if let cast = scanValueCast() {
        for _ in 0..<cast.tokens { advance() }
        let operand = parseUnary()
        return Expr(id: ids.make(), kind: .cast(cast.type, operand), range: .to(t.range, operand.range))
      }
      if let cast = scanPointerCast() {
        for _ in 0..<cast.tokens { advance() }
        let operand = parseUnary()
        return Expr(id: ids.make(), kind: .pointerCast(cast.pointee, pointerDepth: cast.depth, operand),
                    range: .to(t.range, operand.range))
      }
      if at(.identifier), lexer.peek().kind == .assign { return parseRecord(from: t) }
      // `()`: the empty tuple (bpftrace 0.24 and later).
      if at(.rparen) {
        let end = token.range
        advance()
        noteNewerSyntax(.to(t.range, end))
        return Expr(id: ids.make(), kind: .tuple([]), range: .to(t.range, end))
      }
      enclosures.append(.group)
      var items = [parseExpression()]
      var trailingComma = false
      while at(.comma) {
        advance()
        // `(a,)`: a tuple of one (bpftrace 0.24 and later); `(a, b,)` is (a, b).
        if at(.rparen) {
          trailingComma = true
          break
        }
        items.append(parseExpression())
      }
      enclosures.removeLast()
      let end = token.range
      expect(.rparen, "to close the parenthesis")
      if trailingComma && items.count == 1 { noteNewerSyntax(.to(t.range, end)) }
      if items.count > 1 || trailingComma { return Expr(id: ids.make(), kind: .tuple(items), range: .to(t.range, end)) }
      items[0].range = .to(t.range, end)
      return items[0]
    default:
      error(.expectedExpression(found: describe(t)), at: t.range)
      // Do not consume a closer: the enclosing rule needs it to recover.
      switch t.kind {
      case .rbrace, .rparen, .rbracket, .semicolon, .gt, .endOfFile, .slash: break
      default: advance()
      }
      return Expr(id: ids.make(), kind: .integer(0), range: t.range)
    }
  }

  /// `(name = value, ...)` after its `(`.
  func parseRecord(from open: Token) -> Expr {
    noteNewerSyntax(open.range)
    enclosures.append(.group)
    defer { enclosures.removeLast() }
    var names: [String] = [], values: [Expr] = []
    while true {
      guard at(.identifier) else {
        error(.expected("a field name", "in the record", found: describe(token)), at: token.range)
        break
      }
      names.append(text(token))
      advance()
      expect(.assign, "after the record field's name")
      values.append(parseExpression())
      guard at(.comma) else { break }
      advance()
    }
    let end = token.range
    expect(.rparen, "to close the record")
    return Expr(id: ids.make(), kind: .record(names: names, values: values), range: .to(open.range, end))
  }

  /// `{ statements; value }`: a block whose last statement is an expression with no `;`.
  func parseBlockExpression() -> Expr {
    let (block, value) = parseBlockWithValue()
    guard let value else {
      error(.blockWithoutValue, at: SourceRange(start: block.range.end - 1, end: block.range.end))
      return Expr(id: ids.make(), kind: .integer(0), range: block.range)
    }
    return Expr(id: ids.make(), kind: .block(block, value: value), range: block.range)
  }

  /// `{ statements [value] }` at its `{`: the statements, and the last one's expression when it
  /// has no `;` after it (the block's value), apart.
  func parseBlockWithValue() -> (block: Block, value: Expr?) {
    let start = token.range
    noteNewerSyntax(start)
    advance()
    enclosures.append(.braceBlock)
    var (statements, endsWithValue) = parseStatementList(until: .rbrace)
    enclosures.removeLast()
    let end = token.range
    expect(.rbrace, "to end the block")
    var value: Expr?
    if endsWithValue, let last = statements.last, case .expression(let e) = last.kind {
      value = e
      statements.removeLast()
    }
    return (Block(statements: statements, range: .to(start, end)), value)
  }

  /// `sizeof(type)`, `sizeof(expression)`, `offsetof(struct name, field)`.
  func parseTypeQuery() -> Expr {
    let start = token.range
    let isSizeof = text(token) == "sizeof"
    advance()
    advance()  // (
    // `sizeof(typeof(T))` (bpftrace 0.22 and later) is `sizeof(T)`, for a type or an expression.
    var inTypeof = false
    if isSizeof, at(.identifier), text(token) == "typeof", lexer.peek().kind == .lparen {
      noteNewerSyntax(token.range)
      advance()  // typeof
      advance()  // (
      inTypeof = true
    }
    var kind: Expr.Kind
    if let type = parseTypeName() {
      if isSizeof {
        kind = .sizeofType(type)
      } else {
        expect(.comma, "after the type in offsetof")
        kind = .offsetof(type, field: parseFieldPath())
      }
    } else if isSizeof {
      enclosures.append(.group)
      let operand = parseExpression()
      enclosures.removeLast()
      kind = .call(name: "sizeof", args: [operand])
    } else {
      error(.offsetofNeedsStruct, at: token.range)
      kind = .integer(0)
    }
    if inTypeof { expect(.rparen, "to close typeof") }
    let end = token.range
    expect(.rparen, "to close the parenthesis")
    return Expr(id: ids.make(), kind: kind, range: .to(start, end))
  }

  /// `field` or `a.b.c` in offsetof and container_of: a field of a field (bpftrace 0.20 and
  /// later); empty, with an error, when no name is there.
  func parseFieldPath() -> String {
    guard at(.identifier) else {
      error(.expectedOffsetofField(found: describe(token)), at: token.range)
      return ""
    }
    var field = text(token)
    advance()
    while at(.dot), lexer.peek().kind == .identifier {
      advance()
      field += "." + text(token)
      advance()
    }
    return field
  }

  /// After `(IDENT`: whether `)` is followed by what starts a cast's operand (`(t)0`, `(t)$x`),
  /// not by an operator (`(t) + 1` is a parenthesized value).
  func castOperandFollows() -> Bool {
    var ahead = lexer.silentCopy()
    _ = ahead.next()  // )
    switch ahead.next().kind {
    case .integer, .string, .variable, .map, .identifier, .positional, .lparen: return true
    default: return false
    }
  }

  /// `typeof(TYPE)` or `typeof(expression)` as a macro's argument (bpftrace 0.22 and later): a
  /// type (`struct task_struct`, `uint64 *`) or the type of an expression.
  func parseTypeArgument() -> Expr {
    let start = token.range
    noteNewerSyntax(start)
    advance()  // typeof
    advance()  // (
    var argument: TypeArgument
    if at(.identifier), let type = scanTypeArgument() {
      argument = type
    } else {
      enclosures.append(.group)
      argument = .of(parseExpression())
      enclosures.removeLast()
    }
    let end = token.range
    expect(.rparen, "to close typeof")
    return Expr(id: ids.make(), kind: .typeArgument(argument), range: .to(start, end))
  }

  /// `struct NAME`, `union NAME`, an integer type or a type parameter, then `*`s, up to `)`; the
  /// tokens are consumed only when they spell one.
  func scanTypeArgument() -> TypeArgument? {
    var ahead = lexer.silentCopy()
    let word = text(token)
    var type: TypeName
    var tokens = 1
    var next = ahead.next()
    if word == "struct" || word == "union" {
      guard next.kind == .identifier else { return nil }
      type = .record(name: text(next), isUnion: word == "union")
      tokens += 1
      next = ahead.next()
    } else if let integer = IntegerType(name: word) {
      type = .integer(integer)
    } else if word == "void" {
      type = .void
    } else if typeParameters.contains(word) {
      type = .parameter(word)
    } else {
      return nil
    }
    var depth = 0
    while next.kind == .star {
      depth += 1
      next = ahead.next()
    }
    guard next.kind == .rparen, type != .void || depth > 0 else { return nil }
    for _ in 0..<(tokens + depth) { advance() }
    return .named(type, pointerDepth: depth)
  }

  /// `container_of(pointer, struct NAME, field)` (bpftrace 0.22 and later): the struct that holds
  /// the field `pointer` points at, written as the C macro is: `(struct NAME *)((uint64)pointer -
  /// offsetof(struct NAME, field))`.
  func parseContainerOf() -> Expr {
    let start = token.range
    noteNewerSyntax(start)
    advance()  // container_of
    advance()  // (
    enclosures.append(.group)
    let pointer = parseExpression()
    enclosures.removeLast()
    expect(.comma, "after container_of's pointer")
    guard let type = parseTypeName(), case .record = type else {
      error(.offsetofNeedsStruct, at: token.range)
      return Expr(id: ids.make(), kind: .integer(0), range: start)
    }
    expect(.comma, "after container_of's type")
    let field = parseFieldPath()
    let end = token.range
    expect(.rparen, "to close container_of")
    let range = SourceRange.to(start, end)
    let address = Expr(id: ids.make(), kind: .cast(.integer(IntegerType(bits: 64, signed: false)), pointer), range: pointer.range)
    let offset = Expr(id: ids.make(), kind: .offsetof(type, field: field), range: range)
    let difference = Expr(id: ids.make(), kind: .binary(.subtract, address, offset), range: range)
    return Expr(id: ids.make(), kind: .pointerCast(type, pointerDepth: 1, difference), range: range)
  }

  /// `uint32`, `struct NAME`, `union NAME` — only where a type must be (the next token is ')' or ',').
  func parseTypeName() -> TypeName? {
    guard at(.identifier) else { return nil }
    let word = text(token)
    if typeParameters.contains(word), [.rparen, .comma].contains(lexer.peek().kind) {
      advance()
      return .parameter(word)
    }
    if word == "struct" || word == "union" {
      var ahead = lexer.silentCopy()
      let name = ahead.next()
      guard name.kind == .identifier else { return nil }
      advance()
      advance()
      return .record(name: text(name), isUnion: word == "union")
    }
    if let integer = IntegerType(name: word), [.rparen, .comma].contains(lexer.peek().kind) {
      advance()
      return .integer(integer)
    }
    return nil
  }

  /// After `(`: `INTEGER_TYPE)`, `bool)`, `INTEGER_TYPE[N])` or `INTEGER_TYPE[])`; the type and
  /// how many tokens (from the current one, through the `)`) it spells.
  func scanValueCast() -> (type: CastType, tokens: Int)? {
    guard at(.identifier) else { return nil }
    let word = text(token)
    var ahead = lexer.silentCopy()
    var next = ahead.next()
    if word == "bool" { return next.kind == .rparen ? (.bool, 2) : nil }
    // `(enum NAME)` (a pointer to an enum is not a cast to one).
    if word == "enum" {
      guard next.kind == .identifier, ahead.next().kind == .rparen else { return nil }
      return (.enumeration(text(next)), 3)
    }
    guard let integer = IntegerType(name: word) else { return nil }
    if next.kind == .rparen { return (.integer(integer), 2) }
    guard next.kind == .lbracket else { return nil }
    next = ahead.next()
    var count: Int?
    var tokens = 4  // type [ ] )
    if next.kind == .integer {
      guard let n = Int(text(next)), n > 0 else { return nil }
      count = n
      tokens += 1
      next = ahead.next()
    }
    guard next.kind == .rbracket, ahead.next().kind == .rparen else { return nil }
    return (.array(integer, count: count), tokens)
  }

  /// After `(`: `struct NAME *...)`, `union NAME *...)`, `INTEGER_TYPE *...)` or `void *...)`.
  /// Returns the pointee, the number of `*` and how many tokens (from the current one, through the
  /// `)`) the cast spells.
  func scanPointerCast() -> (pointee: TypeName, depth: Int, tokens: Int)? {
    guard at(.identifier) else { return nil }
    let word = text(token)
    var ahead = lexer.silentCopy()
    let pointee: TypeName
    var tokens = 2  // the type's first word and the `)`
    if word == "struct" || word == "union" {
      let name = ahead.next()
      guard name.kind == .identifier else { return nil }
      pointee = .record(name: text(name), isUnion: word == "union")
      tokens += 1
    } else if word == "void" {
      pointee = .void
    } else if let integer = IntegerType(name: word) {
      pointee = .integer(integer)
    } else {
      return nil
    }
    var depth = 0
    var next = ahead.next()
    while next.kind == .star {
      depth += 1
      next = ahead.next()
    }
    guard depth > 0, next.kind == .rparen else { return nil }
    return (pointee, depth, tokens + depth)
  }

  /// `expression { "," expression }`, possibly empty, inside brackets or parentheses.
  func parseList(until closer: Token.Kind, what: String) -> [Expr] {
    var items: [Expr] = []
    enclosures.append(.group)
    defer { enclosures.removeLast() }
    if at(closer) { return items }
    while true {
      items.append(parseExpression())
      guard at(.comma) else { break }
      advance()
    }
    return items
  }

  // MARK: Literals

  /// Decimal, `0x` hexadecimal, `0` octal, `1e6` (an integer times a power of ten), with `_`
  /// separators and C's suffixes (`123UL`, `5u`, `7LL`), which change nothing here.
  func parseInteger(_ t: Token) -> UInt64 {
    var s = String(text(t).filter { $0 != "_" })
    // `100ms`, `1s` (bpftrace 0.18 and later): a duration, in nanoseconds.
    if let last = s.last, last.isLetter, !s.hasPrefix("0x"), !s.hasPrefix("0X"),
      Duration.units.contains(where: { s.hasSuffix($0.suffix) && s.dropLast($0.suffix.count).allSatisfy(\.isNumber) }) {
      guard let ns = Duration.nanoseconds(s) else {
        error(.integerTooLarge(text(t)), at: t.range)
        return 0
      }
      noteNewerSyntax(t.range)
      return ns
    }
    if !s.hasPrefix("0x"), !s.hasPrefix("0X") {
      var suffix = 0
      while suffix < 3, s.count > 1, let last = s.last, "uUlL".contains(last) {
        s.removeLast()
        suffix += 1
      }
    }
    if !s.hasPrefix("0x"), !s.hasPrefix("0X"), let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }),
      let mantissa = UInt64(s[..<e]), let exponent = Int(s[s.index(after: e)...]) {
      // Past 10^19 nothing fits 64 bits: checked before the loop, which runs `exponent` times
      // (a fuzzer's `1e23372036854775807` ran for ever).
      var value = mantissa
      var overflow = exponent > 19
      for _ in 0..<(overflow ? 0 : max(0, exponent)) where !overflow {
        (value, overflow) = value.multipliedReportingOverflow(by: 10)
      }
      if overflow {
        error(.integerTooLarge(text(t)), at: t.range)
        return 0
      }
      return value
    }
    var radix = 10
    if s.hasPrefix("0x") || s.hasPrefix("0X") {
      radix = 16
      s.removeFirst(2)
    } else if s.count > 1 && s.hasPrefix("0") {
      radix = 8
      s.removeFirst()
    }
    guard let value = UInt64(s, radix: radix) else {
      let valid = s.allSatisfy { $0.isHexDigit } && !s.isEmpty
      error(valid ? .integerTooLarge(text(t)) : .invalidInteger(text(t)), at: t.range)
      return 0
    }
    return value
  }

  /// Decodes `\n \t \r \\ \" \0NN \xNN` escapes; reports unknown ones.
  func decodeString(_ t: Token) -> String {
    let raw = Array(source.bytes[t.range.start..<t.range.end])
    var bytes: [UInt8] = []
    var i = 1
    let end = raw.count >= 2 && raw.last == UInt8(ascii: "\"") ? raw.count - 1 : raw.count
    while i < end {
      let c = raw[i]
      guard c == UInt8(ascii: "\\"), i + 1 < end else {
        bytes.append(c)
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "n"): bytes.append(0x0A)
      case UInt8(ascii: "t"): bytes.append(0x09)
      case UInt8(ascii: "r"): bytes.append(0x0D)
      case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
      case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
      case UInt8(ascii: "x"):
        var digits = ""
        while i < end && digits.count < 2 && Character(UnicodeScalar(raw[i])).isHexDigit {
          digits.append(Character(UnicodeScalar(raw[i])))
          i += 1
        }
        if let v = UInt8(digits, radix: 16) { bytes.append(v) } else {
          error(.hexEscapeWithoutDigits,
                at: SourceRange(start: t.range.start + i - 2, end: t.range.start + i))
        }
      case UInt8(ascii: "0")...UInt8(ascii: "7"):
        var digits = String(Character(UnicodeScalar(e)))
        while i < end && digits.count < 3 && raw[i] >= UInt8(ascii: "0") && raw[i] <= UInt8(ascii: "7") {
          digits.append(Character(UnicodeScalar(raw[i])))
          i += 1
        }
        bytes.append(UInt8(truncatingIfNeeded: Int(digits, radix: 8) ?? 0))
      default:
        error(.unknownEscape(Character(UnicodeScalar(e))),
              at: SourceRange(start: t.range.start + i - 2, end: t.range.start + i))
      }
    }
    return String(rawBytes: bytes)
  }
}
