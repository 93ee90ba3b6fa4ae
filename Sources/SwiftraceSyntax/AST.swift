import SwiftraceBasics

/// Identifies a node for side tables (types, resolved builtins) kept by later stages.
public struct NodeID: Hashable, Comparable, Sendable {
  public let raw: Int
  public static func < (a: NodeID, b: NodeID) -> Bool { a.raw < b.raw }
}

/// Hands out node IDs for one program.
public final class NodeIDAllocator {
  private var next = 0
  public init() {}
  public func make() -> NodeID {
    defer { next += 1 }
    return NodeID(raw: next)
  }
}

/// A whole script: `probe, probe /pred/ { ... }  probe < ... >  ...`
public final class Program {
  /// C definitions before the probes, in order, each with its place in the script.
  public var cDefinitions: [(text: String, range: SourceRange)]
  /// `config = { key = value; ... }` before the probes (bpftrace 0.18 and later), in order.
  public var config: [ConfigAssignment]
  /// `let @name = kind(entries);` among the probes (bpftrace 0.18 and later), in order.
  public var mapDeclarations: [MapDeclaration]
  /// `macro name(params) { ... }` among the probes (bpftrace 0.21 and later), in order. The
  /// parser expands every call, so later stages see none; they stay for `--dump=ast`.
  public var macros: [MacroDefinition]
  public var probes: [ProbeDecl]
  /// `import "path";` (bpftrace 0.24 and later), in order: the compilation reads those files
  /// into the program (Compilation.parse).
  public var imports: [Import] = []
  /// Where the script first writes something only bpftrace 0.18 and later reads (a config block,
  /// a macro, `let`, lower-case `begin`, a condition without parentheses, ...): a script written
  /// for newer bpftrace, which behaves as newer bpftrace where 0.17 differs (a program of only
  /// BEGIN and END probes ends by itself). nil for a script 0.17 could have read.
  public var newerSyntax: SourceRange?
  /// The IDs the parser gave out: later rewrites (`config()` becoming its record) make nodes
  /// from it, so IDs stay unique.
  public internal(set) var nodeIDs = NodeIDAllocator()
  public init(cDefinitions: [(text: String, range: SourceRange)] = [], config: [ConfigAssignment] = [],
              mapDeclarations: [MapDeclaration] = [], macros: [MacroDefinition] = [], probes: [ProbeDecl]) {
    self.cDefinitions = cDefinitions
    self.config = config
    self.mapDeclarations = mapDeclarations
    self.macros = macros
    self.probes = probes
  }
}

/// `macro name($var, @map, expr) { statements; value }`: code that each call expands into, with
/// the parameters replaced by the call's arguments (see MacroExpander).
public final class MacroDefinition {
  public struct Parameter: Sendable {
    public enum Kind: Sendable {
      /// `$name`: the argument is a scratch variable, which the body may read and assign.
      case variable
      /// `@name`: the argument is a whole map, which the body may read and change.
      case map
      /// `name`: the argument is any expression, evaluated where the body names it.
      case expression
    }
    public let name: String
    public let kind: Kind
    public let range: SourceRange
  }

  public let name: String
  public let parameters: [Parameter]
  public let body: Block
  /// The body's last expression when it has no `;` after it: the value of a call.
  public let value: Expr?
  public let range: SourceRange
  public let nameRange: SourceRange
  /// A macro of the prelude (Prelude.swift), whose text is not the script's: its expansion is
  /// located at the call.
  public var fromPrelude = false

  public init(name: String, parameters: [Parameter], body: Block, value: Expr?, range: SourceRange,
              nameRange: SourceRange) {
    self.name = name
    self.parameters = parameters
    self.body = body
    self.value = value
    self.range = range
    self.nameRange = nameRange
  }
}

/// `import "helpers.bt";`: a file (or a directory of them) whose macros, map declarations and
/// probes join the program.
public struct Import: Sendable {
  public let path: String
  public let range: SourceRange
}

/// `let @name = lruhash(4096);`: a map's kind and size, declared.
public struct MapDeclaration: Sendable {
  public let name: String
  /// As written: `hash`, `lruhash`, `percpuhash`, `percpulruhash`; the checker knows them.
  public let kind: String
  public let entries: UInt64
  public let range: SourceRange
  public let kindRange: SourceRange
}

/// `key = value` in a config block. The key is as written (`max_strlen`, `BPFTRACE_MAX_STRLEN`, ...);
/// the value is an integer or text (an identifier, `true`, `false` or a string literal), read by
/// the configuration.
public struct ConfigAssignment: Sendable {
  public let key: String
  public let value: ConfigValue
  public let keyRange: SourceRange
  public let valueRange: SourceRange
}

/// `attachPoint, attachPoint /predicate/ { statements }`, or with `< statements >` as the block.
public final class ProbeDecl {
  public enum BlockStyle: String, Sendable { case braces, angles }

  public let id: NodeID
  public var attachPoints: [AttachPoint]
  /// nil means the probe has no `/predicate/`.
  public var predicate: Expr?
  public var body: Block
  public var blockStyle: BlockStyle
  public var range: SourceRange

  public init(id: NodeID, attachPoints: [AttachPoint], predicate: Expr?, body: Block,
              blockStyle: BlockStyle, range: SourceRange) {
    self.id = id
    self.attachPoints = attachPoints
    self.predicate = predicate
    self.body = body
    self.blockStyle = blockStyle
    self.range = range
  }
}

/// The raw text of one attach point, `provider:target:function`; Sema splits and checks it.
public struct AttachPoint: Sendable {
  public var text: String
  public var range: SourceRange
  public init(text: String, range: SourceRange) {
    self.text = text
    self.range = range
  }
}

/// `{ stmt; stmt; ... }`
public final class Block {
  public var statements: [Stmt]
  public var range: SourceRange
  public init(statements: [Stmt], range: SourceRange) {
    self.statements = statements
    self.range = range
  }
}

public final class Stmt {
  public indirect enum Kind {
    /// `expr;` — a call such as `printf(...)`, or `@x++`.
    case expression(Expr)
    /// `target = value` or, with an operator, `target op= value`. The target is a map access or a
    /// scratch variable.
    case assign(target: Expr, op: BinaryOperator?, value: Expr)
    /// `if (condition) { ... } else { ... }`; `else if` is an else block holding one `if`.
    case ifElse(condition: Expr, then: Block, else: Block?)
    /// `while (condition) { ... }`
    case whileLoop(condition: Expr, body: Block)
    /// `for ($name : start..end) { ... }`: $name runs from start up to end, exclusive.
    case forRange(variable: String, start: Expr, end: Expr, body: Block)
    /// `for ($kv : @map) { ... }`: $kv is (key, value) for each entry.
    case forMap(variable: String, map: Expr, body: Block)
    /// `unroll (count) { ... }`: the body repeated `count` times, a compile-time integer.
    case unroll(count: Expr, body: Block)
    /// `break`
    case breakLoop
    /// `continue`
    case continueLoop
    /// `return` or `return value`: ends the probe; a test probe passes when it returns 0 (the value
    /// is the program's return value).
    case returnProbe(value: Expr?)
    /// `let $name;`, `let $name: type;` or `let $name: type = value;` (bpftrace 0.18 and later):
    /// the variable (`target`, a `.variable`) exists from here on, zero until assigned.
    /// `let $name = value;` is read as an assignment.
    case declare(target: Expr, type: DeclaredType?, value: Expr?)
    /// `{ statements }` inside a probe (bpftrace 0.18 and later), and a statement-position macro
    /// call once expanded.
    case block(Block)
  }

  public let id: NodeID
  public var kind: Kind
  public var range: SourceRange

  public init(id: NodeID, kind: Kind, range: SourceRange) {
    self.id = id
    self.kind = kind
    self.range = range
  }
}

public final class Expr {
  public indirect enum Kind {
    /// `42`, `0x2a`, `052`, `1_000`
    case integer(UInt64)
    /// `"text"` with escapes already decoded.
    case string(String)
    /// `true`, `false` (bpftrace 0.18 and later).
    case boolean(Bool)
    /// `pid`, `comm`, `arg0`, `args`, ...: any bare identifier; Sema decides what it names.
    case builtin(String)
    /// `$1`
    case positional(Int)
    /// `$#`
    case positionalCount
    /// `$name`
    case variable(String)
    /// `@name` or `@name[key, ...]`; `name` includes the `@`.
    case map(name: String, keys: [Expr])
    /// `name(arg, ...)`
    case call(name: String, args: [Expr])
    /// `-x`, `!x`, `~x`
    case unary(UnaryOperator, Expr)
    /// `a op b`
    case binary(BinaryOperator, Expr, Expr)
    /// `++x`, `x++`, `--x`, `x--` on a map or scratch variable.
    case incrementDecrement(increment: Bool, prefix: Bool, Expr)
    /// `base->field` (arrow) or `base.field`
    case field(Expr, name: String, arrow: Bool)
    /// `(a, b, ...)`, two or more elements.
    case tuple([Expr])
    /// `(name = a, other = b)` (bpftrace 0.22 and later): a record, its fields named.
    case record(names: [String], values: [Expr])
    /// `tuple.N`
    case tupleIndex(Expr, Int)
    /// `condition ? then : else`
    case ternary(Expr, Expr, Expr)
    /// `(uint16) operand`, `(bool) operand`, `(uint8[4]) operand`.
    case cast(CastType, Expr)
    /// `(struct name *) operand`, `(union name **) operand`, `(int32 *) operand`, `(void *) operand`
    case pointerCast(TypeName, pointerDepth: Int, Expr)
    /// `*operand`
    case dereference(Expr)
    /// `&$x`: where a scratch variable is.
    case addressOf(Expr)
    /// `sizeof(type)`; `sizeof(expression)` is a `.call`.
    case sizeofType(TypeName)
    /// `offsetof(struct name, field)`
    case offsetof(TypeName, field: String)
    /// `base[index]` on a pointer
    case index(Expr, Expr)
    /// `typeof(T)` as a macro's argument (bpftrace 0.22 and later): a type the macro's body uses
    /// where its parameter stands as a type (`sizeof(t)`, `(t)x`, `let $v: t`, `offsetof(t, f)`).
    case typeArgument(TypeArgument)
    /// `{ statements; value }` (bpftrace 0.18 and later): the statements run, then `value` is the
    /// block's value. An expression-position macro call becomes one once expanded.
    case block(Block, value: Expr)
  }

  public let id: NodeID
  public var kind: Kind
  public var range: SourceRange

  public init(id: NodeID, kind: Kind, range: SourceRange) {
    self.id = id
    self.kind = kind
    self.range = range
  }
}

public enum UnaryOperator: String, Sendable {
  case negate = "-"
  case logicalNot = "!"
  case bitNot = "~"
}

public enum BinaryOperator: String, Sendable, CaseIterable {
  case add, subtract, multiply, divide, remainder
  case bitAnd, bitOr, bitXor, shiftLeft, shiftRight
  case equal, notEqual, less, lessEqual, greater, greaterEqual
  case logicalAnd, logicalOr

  public var spelling: String {
    switch self {
    case .add: return "+"
    case .subtract: return "-"
    case .multiply: return "*"
    case .divide: return "/"
    case .remainder: return "%"
    case .bitAnd: return "&"
    case .bitOr: return "|"
    case .bitXor: return "^"
    case .shiftLeft: return "<<"
    case .shiftRight: return ">>"
    case .equal: return "=="
    case .notEqual: return "!="
    case .less: return "<"
    case .lessEqual: return "<="
    case .greater: return ">"
    case .greaterEqual: return ">="
    case .logicalAnd: return "&&"
    case .logicalOr: return "||"
    }
  }

  /// C's precedence levels; higher binds tighter.
  public var precedence: Int {
    switch self {
    case .logicalOr: return 1
    case .logicalAnd: return 2
    case .bitOr: return 3
    case .bitXor: return 4
    case .bitAnd: return 5
    case .equal, .notEqual: return 6
    case .less, .lessEqual, .greater, .greaterEqual: return 7
    case .shiftLeft, .shiftRight: return 8
    case .add, .subtract: return 9
    case .multiply, .divide, .remainder: return 10
    }
  }

  public var isComparison: Bool {
    switch self {
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
    default: return false
    }
  }

  public var isLogical: Bool { self == .logicalAnd || self == .logicalOr }
}

/// The sized integer types of casts: `int8` ... `uint64`.
public struct IntegerType: Hashable, Sendable, CustomStringConvertible {
  public let bits: Int
  public let signed: Bool

  /// `int8` ... `uint64`, and C99's `int8_t` ... `uint64_t`, which bpftrace scripts use too.
  public init?(name: String) {
    let name = name.hasSuffix("_t") ? String(name.dropLast(2)) : name
    let signed = !name.hasPrefix("u")
    let digits = name.dropFirst(signed ? 3 : 4)
    guard name.hasPrefix(signed ? "int" : "uint"), let bits = Int(digits), [8, 16, 32, 64].contains(bits) else {
      return nil
    }
    self.bits = bits
    self.signed = signed
  }

  public var description: String { "\(signed ? "" : "u")int\(bits)" }

  public init(bits: Int, signed: Bool) {
    self.bits = bits
    self.signed = signed
  }
}

/// The type a `let` declares: `uint8`, `bool`, `string`, `string[32]`, `typeof(expression)`.
public enum DeclaredType: CustomStringConvertible {
  case integer(IntegerType)
  case bool
  /// nil: max_strlen's size.
  case string(size: Int?)
  /// `typeof(e)` (bpftrace 0.22 and later): the type of `e`, which is never evaluated.
  case typeOf(Expr)
  /// A macro's type parameter, until the macro is expanded.
  case parameter(String)

  public var description: String {
    switch self {
    case .integer(let t): return t.description
    case .bool: return "bool"
    case .string(let size): return size.map { "string[\($0)]" } ?? "string"
    case .typeOf: return "typeof(...)"
    case .parameter(let name): return name
    }
  }

  public var isParameter: Bool { if case .parameter = self { return true } else { return false } }
}

/// What a value cast makes: `(uint16)`, `(bool)` (bpftrace 0.18 and later), or `(uint8[4])`, an
/// integer's bytes as an array (bpftrace 0.20 and later; `(uint8[])` takes the count from the
/// operand's size).
public enum CastType: CustomStringConvertible {
  case integer(IntegerType)
  case bool
  case array(IntegerType, count: Int?)
  /// `(typeof(e))x` (bpftrace 0.22 and later): to the type of `e`, which is never evaluated.
  case typeOf(Expr)
  /// `(enum NAME)x` (bpftrace 0.23 and later): an integer as a value of the enum, printed by name.
  case enumeration(String)
  /// `(t)x` in a macro whose parameter `t` is a type, until the macro is expanded.
  case parameter(String)

  public var description: String {
    switch self {
    case .integer(let t): return t.description
    case .bool: return "bool"
    case .array(let t, let count): return "\(t)[\(count.map(String.init) ?? "")]"
    case .typeOf: return "typeof(...)"
    case .enumeration(let name): return "enum \(name)"
    case .parameter(let name): return name
    }
  }
}

/// A type written in a script: `uint32`, `struct task_struct`, `union u`.
public enum TypeName: Hashable, Sendable, CustomStringConvertible {
  case integer(IntegerType)
  case record(name: String, isUnion: Bool)
  /// Only as the target of a pointer: `(void *)`.
  case void
  /// A macro's type parameter (`sizeof(t)`, `offsetof(t, f)`), until the macro is expanded.
  case parameter(String)

  public var description: String {
    switch self {
    case .void: return "void"
    case .integer(let t): return t.description
    case .record(let name, let isUnion): return "\(isUnion ? "union" : "struct") \(name)"
    case .parameter(let name): return name
    }
  }
}

/// What `typeof(...)` names as a macro's argument: a type (`struct task_struct`, `uint64 *`), or the
/// type of an expression, which is never evaluated.
public enum TypeArgument {
  case named(TypeName, pointerDepth: Int)
  case of(Expr)
}
