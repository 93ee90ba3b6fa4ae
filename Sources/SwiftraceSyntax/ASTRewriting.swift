/// One level of the tree rebuilt with its children passed through functions: how the macro
/// expander copies and substitutes without a switch of its own over every kind of node (a new
/// kind of node is added here, and the compiler lists this place).
extension Expr.Kind {
  func mapChildren(expr f: (Expr) -> Expr, block b: (Block) -> Block) -> Expr.Kind {
    switch self {
    case .integer, .string, .boolean, .builtin, .positional, .positionalCount, .variable, .sizeofType, .offsetof:
      return self
    case .map(let name, let keys): return .map(name: name, keys: keys.map(f))
    case .call(let name, let args): return .call(name: name, args: args.map(f))
    case .unary(let op, let operand): return .unary(op, f(operand))
    case .binary(let op, let lhs, let rhs): return .binary(op, f(lhs), f(rhs))
    case .incrementDecrement(let increment, let prefix, let target):
      return .incrementDecrement(increment: increment, prefix: prefix, f(target))
    case .field(let base, let name, let arrow): return .field(f(base), name: name, arrow: arrow)
    case .tuple(let items): return .tuple(items.map(f))
    case .record(let names, let values): return .record(names: names, values: values.map(f))
    case .tupleIndex(let base, let index): return .tupleIndex(f(base), index)
    case .ternary(let c, let a, let b): return .ternary(f(c), f(a), f(b))
    case .cast(.typeOf(let inner), let operand): return .cast(.typeOf(f(inner)), f(operand))
    case .cast(let type, let operand): return .cast(type, f(operand))
    case .pointerCast(let type, let depth, let operand): return .pointerCast(type, pointerDepth: depth, f(operand))
    case .dereference(let operand): return .dereference(f(operand))
    case .addressOf(let operand): return .addressOf(f(operand))
    case .index(let base, let index): return .index(f(base), f(index))
    case .block(let block, let value):
      return .block(b(block), value: f(value))
    case .typeArgument(.of(let operand)): return .typeArgument(.of(f(operand)))
    case .typeArgument(.named): return self
    }
  }
}

extension Stmt.Kind {
  /// As `Expr.Kind.mapChildren`; `variable` renames the loop variables of `for`, which are names
  /// rather than expressions.
  func mapChildren(expr f: (Expr) -> Expr, block b: (Block) -> Block, variable v: (String) -> String) -> Stmt.Kind {
    switch self {
    case .expression(let e): return .expression(f(e))
    case .assign(let target, let op, let value):
      return .assign(target: f(target), op: op, value: f(value))
    case .ifElse(let condition, let then, let otherwise):
      return .ifElse(condition: f(condition), then: b(then), else: otherwise.map(b))
    case .whileLoop(let condition, let body): return .whileLoop(condition: f(condition), body: b(body))
    case .forRange(let variable, let start, let end, let body):
      return .forRange(variable: v(variable), start: f(start), end: f(end), body: b(body))
    case .forMap(let variable, let map, let body):
      return .forMap(variable: v(variable), map: f(map), body: b(body))
    case .unroll(let count, let body): return .unroll(count: f(count), body: b(body))
    case .breakLoop, .continueLoop: return self
    case .returnProbe(let value): return .returnProbe(value: value.map(f))
    case .declare(let target, .typeOf(let inner)?, let value):
      return .declare(target: f(target), type: .typeOf(f(inner)), value: value.map(f))
    case .declare(let target, let type, let value):
      return .declare(target: f(target), type: type, value: value.map(f))
    case .block(let block): return .block(b(block))
    }
  }
}

extension Block {
  /// Whether some statement in the block, at any depth (nested blocks, loop bodies, block
  /// expressions), satisfies `predicate`.
  public func containsStatement(where predicate: (Stmt) -> Bool) -> Bool {
    statements.contains { $0.containsStatement(where: predicate) }
  }
}

extension Stmt {
  /// This statement or one inside it satisfies `predicate`.
  public func containsStatement(where predicate: (Stmt) -> Bool) -> Bool {
    if predicate(self) { return true }
    var found = false
    _ = kind.mapChildren(expr: { e in
      if !found { found = e.containsStatement(where: predicate) }
      return e
    }, block: { b in
      if !found { found = b.containsStatement(where: predicate) }
      return b
    }, variable: { $0 })
    return found
  }
}

extension Expr {
  /// A statement of a block expression inside this expression satisfies `predicate`.
  public func containsStatement(where predicate: (Stmt) -> Bool) -> Bool {
    var found = false
    _ = kind.mapChildren(expr: { e in
      if !found { found = e.containsStatement(where: predicate) }
      return e
    }, block: { b in
      if !found { found = b.containsStatement(where: predicate) }
      return b
    })
    return found
  }
}

extension Block {
  /// Every scratch variable named in the block at any depth: read, assigned, declared, or a
  /// loop's variable.
  public var scratchVariableNames: Set<String> {
    var names = Set<String>()
    func visit(_ e: Expr) -> Expr {
      if case .variable(let name) = e.kind { names.insert(name) }
      _ = e.kind.mapChildren(expr: visit, block: visit)
      return e
    }
    func visit(_ b: Block) -> Block {
      for stmt in b.statements {
        _ = stmt.kind.mapChildren(expr: visit, block: visit, variable: { name in
          names.insert(name)
          return name
        })
      }
      return b
    }
    _ = visit(self)
    return names
  }
}

extension ProbeDecl {
  /// Whether an expression of the probe (its predicate or body, at any depth) satisfies `predicate`.
  public func containsExpression(where predicate: (Expr) -> Bool) -> Bool {
    var found = false
    func expression(_ e: Expr) -> Expr {
      if !found && predicate(e) { found = true }
      if !found { _ = e.kind.mapChildren(expr: expression, block: block) }
      return e
    }
    func block(_ b: Block) -> Block {
      for stmt in b.statements where !found { _ = stmt.kind.mapChildren(expr: expression, block: block, variable: { $0 }) }
      return b
    }
    if let predicate = self.predicate { _ = expression(predicate) }
    _ = block(body)
    return found
  }
}

extension Program {
  /// Calls `visit` on every expression of every probe (predicates and bodies, at any depth),
  /// parents before their children: a rewrite that changes a node's kind in place sees the new
  /// kind's children next.
  public func forEachExpression(_ visit: (Expr) -> Void) {
    func expression(_ e: Expr) -> Expr {
      visit(e)
      _ = e.kind.mapChildren(expr: expression, block: block)
      return e
    }
    func block(_ b: Block) -> Block {
      for stmt in b.statements { _ = stmt.kind.mapChildren(expr: expression, block: block, variable: { $0 }) }
      return b
    }
    for probe in probes {
      if let predicate = probe.predicate { _ = expression(predicate) }
      _ = block(probe.body)
    }
  }
}
