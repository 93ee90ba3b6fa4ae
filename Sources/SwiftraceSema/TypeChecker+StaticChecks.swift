import SwiftraceBasics
import SwiftraceSyntax

/// What the checker decides before the program runs (bpftrace 0.24 and later): `fail()`, an error
/// wherever code generation would reach it, and `static_assert()`; and the conditions known when
/// compiling that decide what is reached (`if ($1 < 2) { fail(...) }`).
extension TypeChecker {
  /// The value of a condition known when compiling: literals, positional parameters, `$#`,
  /// `true`/`false`, sizeof/offsetof, and the operators over them; nil otherwise.
  func constantCondition(_ e: Expr) -> Int64? {
    switch e.kind {
    case .integer, .positional, .unary(.negate, _): return compileTimeInteger(e)
    case .boolean(let b): return b ? 1 : 0
    case .positionalCount:
      parameterCountFixed = true
      return Int64(options.positionalParameters.count)
    case .sizeofType, .offsetof: return constants[e.id].map { Int64(bitPattern: $0) }
    case .call("sizeof", _): return constants[e.id].map { Int64(bitPattern: $0) }
    case .unary(.logicalNot, let inner): return constantCondition(inner).map { $0 == 0 ? 1 : 0 }
    case .unary(.bitNot, let inner): return constantCondition(inner).map { ~$0 }
    case .binary(let op, let lhs, let rhs):
      guard let a = constantCondition(lhs), let b = constantCondition(rhs) else { return nil }
      switch op {
      case .equal: return a == b ? 1 : 0
      case .notEqual: return a != b ? 1 : 0
      case .less: return a < b ? 1 : 0
      case .lessEqual: return a <= b ? 1 : 0
      case .greater: return a > b ? 1 : 0
      case .greaterEqual: return a >= b ? 1 : 0
      case .logicalAnd: return a != 0 && b != 0 ? 1 : 0
      case .logicalOr: return a != 0 || b != 0 ? 1 : 0
      case .add: return a &+ b
      case .subtract: return a &- b
      case .multiply: return a &* b
      case .divide: return b == 0 ? nil : a / b
      case .remainder: return b == 0 ? nil : a % b
      case .bitAnd: return a & b
      case .bitOr: return a | b
      case .bitXor: return a ^ b
      case .shiftLeft, .shiftRight: return nil
      }
    default: return nil
    }
  }

  /// `fail(format, args...)`: the formatted message as an error at the call, unless the call is
  /// in a branch a constant condition leaves out. The arguments are literals (or known values).
  func checkFail(_ args: [Expr], _ e: Expr) {
    guard let first = args.first, case .string(let format) = first.kind else {
      error(.failNeedsFormat, at: args.first?.range ?? e.range)
      return
    }
    types[first.id] = .string(size: format.rawByteCount + 1)
    var values: [String] = []
    for arg in args.dropFirst() {
      if case .string(let s) = arg.kind {
        values.append(s)
        types[arg.id] = .string(size: s.rawByteCount + 1)
      } else if let n = constantCondition(arg) {
        values.append(String(n))
        types[arg.id] = .int64
      } else {
        error(.failArgumentNotConstant, at: arg.range)
        return
      }
    }
    fixDecidingParameters()
    guard unreachableDepth == 0 else { return }
    error(.failed(Self.staticFormat(format, values)), at: e.range)
  }

  /// `static_assert(condition, message)`: the condition is known when compiling; false, the
  /// message is an error at the call (unless a constant condition leaves the call out).
  func checkStaticAssert(_ args: [Expr], _ e: Expr) {
    guard checkArity(.static_assert, 2...2, args: args, e) else { return }
    fixDecidingParameters()
    _ = check(args[0])
    guard case .string(let message) = args[1].kind else {
      error(.staticAssertMessage, at: args[1].range)
      return
    }
    types[args[1].id] = .string(size: message.rawByteCount + 1)
    guard let value = constantCondition(args[0]) else {
      error(.staticAssertNotConstant, at: args[0].range)
      return
    }
    if value == 0, unreachableDepth == 0 { error(.staticAssertFailed(message), at: e.range) }
  }

  /// printf's conversions filled with known values as text: `%d` and the like take the number,
  /// `%s` the text; flags and widths are not applied (messages, not columns).
  static func staticFormat(_ format: String, _ values: [String]) -> String {
    guard case .success(let parsed) = PrintfFormat.parse(format) else { return format }
    var out = "", next = 0
    for piece in parsed.pieces {
      switch piece {
      case .text(let t): out += t
      case .conversion(let c):
        guard next < values.count else { continue }
        let v = values[next]
        next += 1
        if c.specifier == "x" || c.specifier == "X", let n = Int64(v) {
          let hex = String(UInt64(bitPattern: n), radix: 16)
          out += c.specifier == "X" ? hex.uppercased() : hex
        } else {
          out += v
        }
      }
    }
    return out
  }

  /// A compile-time check under `if`s decided when compiling: the parameters that decided them
  /// are compiled in (another value could make the check fail, which only compiling can report).
  func fixDecidingParameters() {
    for (numbers, count) in decidingParameters {
      fixedParameters.formUnion(numbers)
      if count { parameterCountFixed = true }
    }
  }
}

extension DiagnosticMessage {
  static let failNeedsFormat = Self(.semaArgumentType, "fail() takes a format string literal first")
  static let failArgumentNotConstant = Self(.semaArgumentType,
                                            "fail()'s arguments are known when compiling: literals and positional parameters")
  static func failed(_ message: String) -> Self { Self(.semaFail, message) }
  static let staticAssertMessage = Self(.semaArgumentType, "static_assert()'s message is a string literal")
  static let staticAssertNotConstant = Self(.semaArgumentType,
                                            "static_assert()'s condition must be known when compiling (literals, positional parameters, sizeof)")
  static func staticAssertFailed(_ message: String) -> Self { Self(.semaFail, "static assertion failed: \(message)") }
}
