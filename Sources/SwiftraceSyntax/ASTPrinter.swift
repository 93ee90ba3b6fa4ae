import SwiftraceBasics

/// The `--dump=ast` format: one node per line, children indented by one space, like bpftrace's `-d`.
public struct ASTPrinter {
  /// One entry per line: an expression's note is added to its own line afterwards, which in one
  /// growing string meant counting characters from the start (quadratic in the program's size).
  private var lines: [String] = []
  /// Extra text for an expression's line, such as its type in `--dump=types`.
  private let annotate: (NodeID) -> String?

  init(annotate: @escaping (NodeID) -> String?) { self.annotate = annotate }

  public static func print(_ program: Program, annotate: @escaping (NodeID) -> String? = { _ in nil }) -> String {
    var p = ASTPrinter(annotate: annotate)
    p.line(0, "Program")
    for definition in program.cDefinitions {
      // One line per definition: runs of white space fold to one space.
      let folded = definition.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
      p.line(1, "c \(folded)")
    }
    for assignment in program.config {
      switch assignment.value {
      case .integer(let n): p.line(1, "config \(assignment.key) = \(n)")
      case .text(let text): p.line(1, "config \(assignment.key) = \"\(text)\"")
      }
    }
    for declaration in program.mapDeclarations {
      p.line(1, "map \(declaration.name) = \(declaration.kind)(\(declaration.entries))")
    }
    for macro in program.macros {
      // Only the signature: the body is in the probes, expanded where it is called.
      p.line(1, "macro \(macro.name)(\(macro.parameters.map(\.name).joined(separator: ", ")))")
    }
    for probe in program.probes { p.visit(probe) }
    return p.lines.map { $0 + "\n" }.joined()
  }

  private mutating func line(_ depth: Int, _ text: String) {
    lines.append(String(repeating: " ", count: depth) + text)
  }

  private mutating func visit(_ probe: ProbeDecl) {
    let style = probe.blockStyle == .braces ? "{}" : "<>"
    line(1, "probe \(probe.attachPoints.map(\.text).joined(separator: ", ")) \(style)")
    if let predicate = probe.predicate {
      line(2, "predicate")
      visit(predicate, depth: 3)
    }
    visit(probe.body, depth: 2)
  }

  private mutating func visit(_ block: Block, depth: Int) {
    for stmt in block.statements { visit(stmt, depth: depth) }
  }

  private mutating func visit(_ stmt: Stmt, depth: Int) {
    switch stmt.kind {
    case .expression(let e):
      visit(e, depth: depth)
    case .assign(let target, let op, let value):
      line(depth, (op?.spelling ?? "") + "=")
      visit(target, depth: depth + 1)
      visit(value, depth: depth + 1)
    case .ifElse(let condition, let then, let elseBlock):
      line(depth, "if")
      visit(condition, depth: depth + 1)
      line(depth + 1, "then")
      visit(then, depth: depth + 2)
      if let elseBlock {
        line(depth + 1, "else")
        visit(elseBlock, depth: depth + 2)
      }
    case .whileLoop(let condition, let body):
      line(depth, "while")
      visit(condition, depth: depth + 1)
      visit(body, depth: depth + 1)
    case .forRange(let variable, let start, let end, let body):
      line(depth, "for \(variable)")
      visit(start, depth: depth + 1)
      visit(end, depth: depth + 1)
      visit(body, depth: depth + 1)
    case .forMap(let variable, let map, let body):
      line(depth, "for \(variable) in")
      visit(map, depth: depth + 1)
      visit(body, depth: depth + 1)
    case .unroll(let count, let body):
      line(depth, "unroll")
      visit(count, depth: depth + 1)
      visit(body, depth: depth + 1)
    case .breakLoop: line(depth, "break")
    case .continueLoop: line(depth, "continue")
    case .returnProbe(let value):
      line(depth, "return")
      if let value { visit(value, depth: depth + 1) }
    case .declare(let target, let type, let value):
      line(depth, "let" + (type.map { " : \($0)" } ?? ""))
      visit(target, depth: depth + 1)
      if let value { visit(value, depth: depth + 1) }
    case .block(let block):
      line(depth, "block")
      visit(block, depth: depth + 1)
    }
  }

  private mutating func visit(_ e: Expr, depth: Int) {
    let mark = lines.count
    defer {
      if let note = annotate(e.id), mark < lines.count { lines[mark] += " :: \(note)" }
    }
    switch e.kind {
    case .integer(let v): line(depth, "int \(v)")
    case .string(let s): line(depth, "string \(escaped(s))")
    case .boolean(let b): line(depth, "bool \(b)")
    case .builtin(let name): line(depth, "builtin \(name)")
    case .positional(let n): line(depth, "positional $\(n)")
    case .positionalCount: line(depth, "positional $#")
    case .variable(let name): line(depth, "variable \(name)")
    case .map(let name, let keys):
      line(depth, "map \(name)")
      for k in keys { visit(k, depth: depth + 1) }
    case .call(let name, let args):
      line(depth, "call \(name)")
      for a in args { visit(a, depth: depth + 1) }
    case .unary(let op, let operand):
      line(depth, "unary \(op.rawValue)")
      visit(operand, depth: depth + 1)
    case .binary(let op, let lhs, let rhs):
      line(depth, "binary \(op.spelling)")
      visit(lhs, depth: depth + 1)
      visit(rhs, depth: depth + 1)
    case .incrementDecrement(let increment, let prefix, let operand):
      let sign = increment ? "++" : "--"
      line(depth, prefix ? "prefix \(sign)" : "postfix \(sign)")
      visit(operand, depth: depth + 1)
    case .field(let base, let name, let arrow):
      line(depth, "field \(arrow ? "->" : ".")\(name)")
      visit(base, depth: depth + 1)
    case .tuple(let items):
      line(depth, "tuple")
      for item in items { visit(item, depth: depth + 1) }
    case .record(let names, let values):
      line(depth, "record")
      for (name, value) in zip(names, values) {
        line(depth + 1, "field \(name)")
        visit(value, depth: depth + 2)
      }
    case .tupleIndex(let base, let index):
      line(depth, "element .\(index)")
      visit(base, depth: depth + 1)
    case .ternary(let c, let a, let b):
      line(depth, "ternary")
      visit(c, depth: depth + 1)
      visit(a, depth: depth + 1)
      visit(b, depth: depth + 1)
    case .pointerCast(let pointee, let stars, let operand):
      line(depth, "cast \(pointee) \(String(repeating: "*", count: stars))")
      visit(operand, depth: depth + 1)
    case .sizeofType(let type):
      line(depth, "sizeof \(type)")
    case .offsetof(let type, let field):
      line(depth, "offsetof \(type) \(field)")
    case .typeArgument(.named(let type, let stars)):
      line(depth, "typeof \(type) \(String(repeating: "*", count: stars))")
    case .typeArgument(.of(let operand)):
      line(depth, "typeof")
      visit(operand, depth: depth + 1)
    case .addressOf(let operand):
      line(depth, "address of")
      visit(operand, depth: depth + 1)
    case .dereference(let operand):
      line(depth, "dereference")
      visit(operand, depth: depth + 1)
    case .index(let base, let index):
      line(depth, "index")
      visit(base, depth: depth + 1)
      visit(index, depth: depth + 1)
    case .cast(let type, let operand):
      line(depth, "cast \(type)")
      visit(operand, depth: depth + 1)
    case .block(let block, let value):
      line(depth, "block")
      visit(block, depth: depth + 1)
      line(depth + 1, "value")
      visit(value, depth: depth + 2)
    }
  }
}

/// A string literal as it would be written in a script.
public func escaped(_ s: String) -> String {
  var out = "\""
  for u in s.unicodeScalars {
    switch u {
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    default:
      // A byte that is not UTF-8 (RawBytes) is written back as the escape that makes it.
      if let byte = RawBytes.escapedByte(u) {
        out += "\\x" + byte.twoHexDigits
      } else if u.value < 0x20 {
        out += "\\x" + UInt8(u.value).twoHexDigits
      } else {
        out.unicodeScalars.append(u)
      }
    }
  }
  return out + "\""
}
