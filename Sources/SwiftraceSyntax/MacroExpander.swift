import SwiftraceBasics

/// Replaces every macro call with the macro's body, as bpftrace (0.21 and later) defines macros:
/// hygienic, with the parameter's spelling saying what the argument is.
/// - `$p`: the argument is a scratch variable; the body reads and assigns the caller's variable.
/// - `@p`: the argument is a whole map; the body reads and changes the caller's map.
/// - `p`: the argument is any expression, copied wherever the body names `p` (evaluated as often
///   as it is named, as in bpftrace: bind it with `let $x = p;` to evaluate it once).
/// - The body's other scratch variables are its own: each call renames them apart (`$x#3`), so
///   they neither see nor change the caller's. A map the body names that is not a parameter is an
///   error: the body can reach only what it is given.
/// A call as a statement becomes a block statement; a call as a value becomes a block expression
/// `{ body; value }`, so that later stages know nothing of macros. A bare name is a call of a
/// macro without parameters (`if errname { ... }`).
final class MacroExpander {
  /// Bounds on what expansion may build: each call copies a body, and a body copies an expression
  /// argument wherever it names it, so a few nested calls could build a tree larger or deeper than
  /// the later stages can walk. Past them there is one error and the expansion stops.
  static let maxNodes = 200_000
  static let maxDepth = Parser.maxNesting + Parser.maxOperators
  /// Calls in bodies that call other macros, nested this deep, are refused.
  static let maxNestedCalls = 64

  /// By name; macros of one name differ in their number of parameters.
  private var macros: [String: [MacroDefinition]] = [:]
  private let ids: NodeIDAllocator
  private let diagnostics: DiagnosticEngine
  /// Calls expanded so far: the number that renames a call's own variables apart.
  private var calls = 0
  private var created = 0
  /// The macros being expanded, innermost last: a call of one of them again would never end.
  private var active: [String] = []
  /// Where the outermost call being expanded is: what a bound's error points at.
  private var outermostCall: SourceRange?
  private var stopped = false
  /// Problems in a macro's body are found again at each call: each place is reported once.
  private var reported: Set<Int> = []

  /// The script's macros; those of the prelude stand where the script defines none of the same
  /// name and number of parameters (a script's own `assert` wins, as in bpftrace).
  init(macros: [MacroDefinition], prelude: [MacroDefinition] = [], ids: NodeIDAllocator, diagnostics: DiagnosticEngine) {
    self.ids = ids
    self.diagnostics = diagnostics
    for macro in prelude where !macros.contains(where: { $0.name == macro.name && $0.parameters.count == macro.parameters.count }) {
      self.macros[macro.name, default: []].append(macro)
    }
    for macro in macros {
      if let twin = self.macros[macro.name]?.first(where: { $0.parameters.count == macro.parameters.count }) {
        diagnostics.error(.macroDuplicate(macro.name, parameters: macro.parameters.count), at: macro.nameRange,
                          notes: [.init("first defined here", at: twin.nameRange)])
        continue
      }
      self.macros[macro.name, default: []].append(macro)
    }
  }

  func expand(_ program: Program) {
    for probe in program.probes {
      probe.predicate = probe.predicate.map(expand)
      probe.body = expand(probe.body)
      guard !stopped else { return }
      if deeperThan(Self.maxDepth, probe) {
        stop(.macroExpansionTooLarge("nests more than \(Self.maxDepth) levels deep"), at: probe.range)
        return
      }
    }
  }

  // MARK: Walking the caller's code

  private func expand(_ block: Block) -> Block {
    block.statements = block.statements.map(expand)
    return block
  }

  private func expand(_ stmt: Stmt) -> Stmt {
    if case .expression(let e) = stmt.kind, let (macro, args) = macroCall(e) {
      guard let (body, value) = instantiate(macro, args: args, call: e) else {
        stmt.kind = .block(Block(statements: [], range: e.range))
        return stmt
      }
      // As a statement, the value (if any) is evaluated and dropped.
      let valueStatement = value.map { Stmt(id: make(), kind: .expression($0), range: $0.range) }
      stmt.kind = .block(Block(statements: body.statements + (valueStatement.map { [$0] } ?? []), range: e.range))
      return stmt
    }
    stmt.kind = stmt.kind.mapChildren(expr: expand, block: expand, variable: { $0 })
    return stmt
  }

  private func expand(_ e: Expr) -> Expr {
    guard let (macro, args) = macroCall(e) else {
      e.kind = e.kind.mapChildren(expr: expand, block: expand)
      return e
    }
    guard let (body, value) = instantiate(macro, args: args, call: e) else {
      return Expr(id: make(), kind: .integer(0), range: e.range)
    }
    guard let value else {
      report(.macroValueless(macro.name), at: e.range)
      return Expr(id: make(), kind: .integer(0), range: e.range)
    }
    return Expr(id: make(), kind: .block(body, value: value), range: e.range)
  }

  /// The macro `e` calls, if it calls one, and the arguments, already expanded. A bare name calls
  /// a macro that takes no parameters.
  private func macroCall(_ e: Expr) -> (MacroDefinition, [Expr])? {
    guard !stopped else { return nil }
    switch e.kind {
    case .call(let name, let args):
      guard let overloads = macros[name] else { return nil }
      guard let macro = overloads.first(where: { $0.parameters.count == args.count }) else {
        let counts = overloads.map { "\($0.parameters.count)" }.joined(separator: " or ")
        report(.macroArity(name, takes: counts, given: args.count), at: e.range,
               notes: overloads.map { $0.fromPrelude ? .init("'\(name)' is one of swiftrace's own macros (Docs/Language.md)")
                                                     : .init("'\(name)' is defined here", at: $0.nameRange) })
        e.kind = .integer(0)  // reported: no function of the name to look for
        return nil
      }
      return (macro, args.map(expand))
    case .builtin(let name):
      guard let macro = macros[name]?.first(where: { $0.parameters.isEmpty }) else { return nil }
      return (macro, [])
    default:
      return nil
    }
  }

  // MARK: Copying a macro's body for one call

  /// What the body's names stand for in one call.
  private struct Substitution {
    var variables: [String: String] = [:]
    var maps: [String: String] = [:]
    var expressions: [String: Expr] = [:]
    /// Parameters given `typeof(T)`: what they stand for where the body uses them as types.
    var types: [String: TypeArgument] = [:]
    /// Where each expression parameter's argument is, for errors about a type it cannot be.
    var argumentRanges: [String: SourceRange] = [:]
    /// Added to the body's own scratch variables.
    var suffix: String
    var macro: String
    /// For a prelude macro: where every node of the copy is (the call), as its own text is not
    /// the script's.
    var location: SourceRange?
  }

  /// The body and value of `macro` for one call, with its nested calls expanded too; nil (and an
  /// error) when the arguments do not fit the parameters.
  private func instantiate(_ macro: MacroDefinition, args: [Expr], call: Expr) -> (Block, Expr?)? {
    calls += 1
    var substitution = Substitution(suffix: "#\(calls)", macro: macro.name, location: macro.fromPrelude ? call.range : nil)
    for (parameter, argument) in zip(macro.parameters, args) {
      switch parameter.kind {
      case .variable:
        guard case .variable(let name) = argument.kind else {
          report(.macroArgument(parameter.name, macro: macro.name, needs: "a scratch variable such as $x"), at: argument.range)
          return nil
        }
        substitution.variables[parameter.name] = name
      case .map:
        guard case .map(let name, let keys) = argument.kind, keys.isEmpty else {
          report(.macroArgument(parameter.name, macro: macro.name, needs: "a map such as @m, without keys"), at: argument.range)
          return nil
        }
        substitution.maps[parameter.name] = name
      case .expression:
        substitution.expressions[parameter.name] = argument
        substitution.argumentRanges[parameter.name] = argument.range
        if case .typeArgument(let type) = argument.kind { substitution.types[parameter.name] = type }
      }
    }
    guard !active.contains(macro.name) else {
      report(.macroRecursive(macro.name), at: call.range)
      return nil
    }
    guard active.count < Self.maxNestedCalls else {
      stop(.macroExpansionTooLarge("calls macros nested more than \(Self.maxNestedCalls) deep"), at: call.range)
      return nil
    }
    if active.isEmpty { outermostCall = call.range }
    active.append(macro.name)
    defer { active.removeLast() }
    let body = copy(macro.body, substitution)
    let value = macro.value.map { copy($0, substitution) }
    return (expand(body), value.map(expand))
  }

  private func copy(_ block: Block, _ s: Substitution?) -> Block {
    if stopped { return Block(statements: [], range: block.range) }
    return Block(statements: block.statements.map { copy($0, s) }, range: s?.location ?? block.range)
  }

  private func copy(_ stmt: Stmt, _ s: Substitution?) -> Stmt {
    // `let $v: t`, `let $v: typeof(t)`: the type the call gave for t.
    if let s, case .declare(let target, let type?, let value) = stmt.kind, let name = Self.typeParameter(type),
      s.types[name] != nil || type.isParameter {
      let declared = declaredType(name, s, at: s.location ?? stmt.range)
      return Stmt(id: make(), kind: .declare(target: copy(target, s), type: declared, value: value.map { copy($0, s) }),
                  range: s.location ?? stmt.range)
    }
    let kind = stmt.kind.mapChildren(expr: { copy($0, s) }, block: { copy($0, s) },
                                     variable: { name in s.map { rename(name, $0) } ?? name })
    return Stmt(id: make(), kind: kind, range: s?.location ?? stmt.range)
  }

  /// A copy of `e` with fresh node IDs; with a substitution, the body's names replaced for one call.
  private func copy(_ e: Expr, _ s: Substitution?) -> Expr {
    // Past a bound the copy ends here: the program is refused anyway.
    if stopped { return Expr(id: ids.make(), kind: .integer(0), range: e.range) }
    guard let s else {
      return Expr(id: make(), kind: e.kind.mapChildren(expr: { copy($0, nil) }, block: { copy($0, nil) }), range: e.range)
    }
    let range = s.location ?? e.range
    switch e.kind {
    case .variable(let name):
      return Expr(id: make(), kind: .variable(rename(name, s)), range: range)
    case .map(let name, let keys):
      guard let actual = s.maps[name] else {
        report(.macroUnhygienicMap(name, macro: s.macro), at: range)
        return Expr(id: make(), kind: .map(name: name, keys: keys.map { copy($0, s) }), range: range)
      }
      return Expr(id: make(), kind: .map(name: actual, keys: keys.map { copy($0, s) }), range: range)
    case .builtin(let name):
      guard let argument = s.expressions[name] else { break }
      // The caller's expression, in the caller's names: copied as it is, once per use.
      return copy(argument, nil)
    case .sizeofType(.parameter(let name)), .offsetof(.parameter(let name), _), .cast(.parameter(let name), _),
      .typeArgument(.named(.parameter(let name), _)):
      return Expr(id: make(), kind: typeUse(e.kind, name, s, at: range), range: range)
    case .cast(.typeOf(let inner), _):
      if case .builtin(let name) = inner.kind, s.types[name] != nil {
        return Expr(id: make(), kind: typeUse(e.kind, name, s, at: range), range: range)
      }
    default:
      break
    }
    return Expr(id: make(), kind: e.kind.mapChildren(expr: { copy($0, s) }, block: { copy($0, s) }), range: range)
  }

  /// A use of type parameter NAME in the body (`sizeof(t)`, `offsetof(t, f)`, `(t)x`,
  /// `(typeof(t))x`, `typeof(t)` passed on), rewritten with what the call gave for it.
  private func typeUse(_ kind: Expr.Kind, _ name: String, _ s: Substitution, at range: SourceRange) -> Expr.Kind {
    let given = s.types[name]
    switch kind {
    case .sizeofType:
      switch given {
      case .named(let type, 0)?: return .sizeofType(type)
      case .named?: return .integer(8)  // a pointer
      case .of(let e)?: return .call(name: "sizeof", args: [copy(e, nil)])
      case nil:
        // `sizeof(x)` of an expression parameter measures the expression.
        guard let argument = s.expressions[name] else { break }
        return .call(name: "sizeof", args: [copy(argument, nil)])
      }
    case .offsetof(_, let field):
      if case .named(let type, 0)? = given, case .record = type { return .offsetof(type, field: fieldPath(field, s) ?? field) }
      report(.macroArgument(name, macro: s.macro, needs: "typeof(struct NAME)"), at: s.argumentRanges[name] ?? range)
      return .integer(0)
    case .cast(_, let operand):
      let value = copy(operand, s)
      switch given {
      case .named(.integer(let integer), 0)?: return .cast(.integer(integer), value)
      case .named(let type, let depth)? where depth > 0: return .pointerCast(type, pointerDepth: depth, value)
      case .of(let e)?: return .cast(.typeOf(copy(e, nil)), value)
      default: break
      }
      report(.macroArgument(name, macro: s.macro, needs: "typeof(an integer or pointer type)"), at: s.argumentRanges[name] ?? range)
      return .integer(0)
    case .typeArgument(.named(_, let depth)):
      // `inner(typeof(t))`: passed on, with any `*` written after it.
      switch given {
      case .named(let type, let own)?: return .typeArgument(.named(type, pointerDepth: own + depth))
      case .of(let e)? where depth == 0: return .typeArgument(.of(copy(e, nil)))
      default: break
      }
      report(.macroArgument(name, macro: s.macro, needs: "typeof(TYPE)"), at: s.argumentRanges[name] ?? range)
      return .integer(0)
    default:
      break
    }
    report(.macroArgument(name, macro: s.macro, needs: "typeof(TYPE)"), at: s.argumentRanges[name] ?? range)
    return .integer(0)
  }

  /// `offsetof(t, f)` with f a parameter: the field path the call gave (`x`, `a.b.c`); nil when
  /// FIELD is not a parameter or the argument is not a field path.
  private func fieldPath(_ field: String, _ s: Substitution) -> String? {
    // An empty path (the parser reported a missing field) has no first part.
    let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
    guard let head = parts.first, let argument = s.expressions[head] else { return nil }
    func path(_ e: Expr) -> String? {
      switch e.kind {
      case .builtin(let name): return name
      case .field(let base, let name, false): return path(base).map { $0 + "." + name }
      default: return nil
      }
    }
    guard let given = path(argument) else {
      report(.macroArgument(head, macro: s.macro, needs: "a field name such as x or a.b"), at: argument.range)
      return nil
    }
    return ([given] + parts.dropFirst()).joined(separator: ".")
  }

  /// The name a `let`'s type may use as a parameter: `let $v: t` or `let $v: typeof(t)`.
  private static func typeParameter(_ type: DeclaredType) -> String? {
    switch type {
    case .parameter(let name): return name
    case .typeOf(let e): if case .builtin(let name) = e.kind { return name } else { return nil }
    case .integer, .bool, .string: return nil
    }
  }

  /// What `let $v: t` declares with the call's argument for t; nil (and an error) for a type a
  /// variable cannot hold (a struct).
  private func declaredType(_ name: String, _ s: Substitution, at range: SourceRange) -> DeclaredType? {
    switch s.types[name] {
    case .named(.integer(let integer), 0)?: return .integer(integer)
    case .named(let type, let depth)? where depth > 0:
      // A pointer type, as the type of a pointer cast of 0.
      let zero = Expr(id: make(), kind: .integer(0), range: range)
      return .typeOf(Expr(id: make(), kind: .pointerCast(type, pointerDepth: depth, zero), range: range))
    case .of(let e)?: return .typeOf(copy(e, nil))
    case .named?:
      report(.macroArgument(name, macro: s.macro, needs: "typeof(an integer or pointer type)"), at: s.argumentRanges[name] ?? range)
      return nil
    case nil:
      // `let $v: typeof(x)` with an expression parameter: the expression's type.
      guard let argument = s.expressions[name] else { return nil }
      return .typeOf(copy(argument, nil))
    }
  }

  private func rename(_ variable: String, _ s: Substitution) -> String {
    s.variables[variable] ?? variable + s.suffix
  }

  // MARK: Bounds and reports

  private func make() -> NodeID {
    created += 1
    if created == Self.maxNodes {
      stop(.macroExpansionTooLarge("makes more than \(Self.maxNodes) nodes"), at: outermostCall ?? SourceRange(start: 0, end: 0))
    }
    return ids.make()
  }

  /// Whether some path from the probe's root is longer than `limit`; walks no deeper than that.
  private func deeperThan(_ limit: Int, _ probe: ProbeDecl) -> Bool {
    func exceeds(_ e: Expr, _ depth: Int) -> Bool {
      if depth > limit { return true }
      var found = false
      _ = e.kind.mapChildren(expr: { child in
        if !found { found = exceeds(child, depth + 1) }
        return child
      }, block: { block in
        if !found { found = exceeds(block, depth + 1) }
        return block
      })
      return found
    }
    func exceeds(_ block: Block, _ depth: Int) -> Bool {
      if depth > limit { return true }
      for stmt in block.statements {
        var found = false
        _ = stmt.kind.mapChildren(expr: { child in
          if !found { found = exceeds(child, depth + 1) }
          return child
        }, block: { inner in
          if !found { found = exceeds(inner, depth + 1) }
          return inner
        }, variable: { $0 })
        if found { return true }
      }
      return false
    }
    return probe.predicate.map { exceeds($0, 0) } == true || exceeds(probe.body, 0)
  }

  private func stop(_ message: DiagnosticMessage, at range: SourceRange) {
    guard !stopped else { return }
    stopped = true
    diagnostics.error(message, at: range)
  }

  private func report(_ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []) {
    guard !stopped, reported.insert(range.start).inserted else { return }
    diagnostics.error(message, at: range, notes: notes)
  }
}
