import SwiftraceBasics

/// `let` declares a variable in its block (bpftrace 0.18 and later): one that names a variable
/// seen before in the probe is a new variable, renamed apart (`$x#s1`) for the rest of its block,
/// so that `if (a) { let $x = 1; } else { let $x = "s"; }` and shadowing an outer `$x` work. A
/// variable first assigned without `let` stays the probe's, as in bpftrace 0.17, so 0.17 scripts
/// keep working.
struct Scopes {
  /// Innermost last: what each name declared in a block stands for there.
  private var stack: [[String: String]] = []
  /// Every name the probe has used so far.
  private var seen: Set<String> = []
  private var renamed = 0

  static func resolve(_ program: Program) {
    for probe in program.probes {
      var scopes = Scopes()
      probe.body = scopes.block(probe.body)
    }
  }

  private func lookup(_ name: String) -> String {
    for scope in stack.reversed() { if let actual = scope[name] { return actual } }
    return name
  }

  private mutating func block(_ b: Block) -> Block {
    stack.append([:])
    defer { stack.removeLast() }
    b.statements = b.statements.map { statement($0) }
    return b
  }

  private mutating func statement(_ s: Stmt) -> Stmt {
    if case .declare(let target, let type, let value) = s.kind, case .variable(let name) = target.kind {
      // The value is read before the new variable exists: `let $x = $x + 1` reads the outer one.
      let value = value.map { expression($0) }
      var actual = name
      if seen.contains(name) {
        renamed += 1
        actual = "\(name)#s\(renamed)"
      }
      seen.insert(name)
      stack[stack.count - 1][name] = actual
      target.kind = .variable(actual)
      s.kind = .declare(target: target, type: type, value: value)
      return s
    }
    s.kind = s.kind.mapChildren(expr: { expression($0) }, block: { block($0) }, variable: { name in
      seen.insert(name)
      return lookup(name)
    })
    return s
  }

  private mutating func expression(_ e: Expr) -> Expr {
    if case .variable(let name) = e.kind {
      seen.insert(name)
      e.kind = .variable(lookup(name))
      return e
    }
    e.kind = e.kind.mapChildren(expr: { expression($0) }, block: { block($0) })
    return e
  }
}
