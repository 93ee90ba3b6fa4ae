import SwiftraceBasics
import SwiftraceSyntax

/// `str()`: a string copied from memory, or a positional parameter's text known when compiling.
extension TypeChecker {
  /// The text `$N` or `$N + k` stands for as str()'s argument: the parameter, less its first k
  /// bytes (bpftrace's pointer arithmetic on a positional string).
  /// The text is compiled in (the parameter fixed) unless `asValue` and E is `$N` itself, which
  /// the caller then reads from the parameters' section.
  func positionalText(_ e: Expr, asValue: Bool = false) -> String? {
    let n: Int, skip: Int
    switch e.kind {
    case .positional(let p): (n, skip) = (p, 0)
    case .binary(.add, let lhs, let rhs):
      guard case .positional(let p) = lhs.kind, case .integer(let k) = rhs.kind, k < 1 << 20 else { return nil }
      (n, skip) = (p, Int(k))
    default: return nil
    }
    if !asValue || skip != 0 || !{ if case .positional = e.kind { return true } else { return false } }() {
      fixedParameters.insert(n)
    }
    let value = n <= options.positionalParameters.count ? options.positionalParameters[n - 1] : ""
    return String(rawBytes: value.rawBytes.dropFirst(skip))
  }

  func checkStr(args: [Expr], _ e: Expr) -> SType? {
    guard args.count == 1 || args.count == 2 else {
      error(.strArity, at: e.range)
      return nil
    }
    if let text = positionalText(args[0], asValue: true) {
      // `str($1)`: the parameter's text, read from the parameters' section, in as many bytes as
      // any string (or the text, if longer), so that a run may give another; `str($1 + 2)`: the
      // text from its third byte, compiled in.
      let size = max(text.rawByteCount + 1, options.stringLength)
      if case .positional(let n) = args[0].kind {
        stringParameters[e.id] = n
        parameterUses[n, default: []].insert(.string(size: size))
      }
      types[args[0].id] = .string(size: size)
      byteConstants[e.id] = text.rawBytes + [UInt8](repeating: 0, count: size - text.rawByteCount)
      return .string(size: size)
    }
    guard let t = check(args[0]) else { return nil }
    if args.count == 2, let n = compileTimeInteger(args[1]), n < 0 {
      error(.negativeLength(.str, n), at: args[1].range)
      return nil
    }
    if t.isString { return t }
    guard t.isIntegerLike else {
      error(.strSource(t), at: args[0].range)
      return nil
    }
    var size = options.stringLength
    if args.count == 2 {
      guard let lt = check(args[1]), lt.isInteger else {
        error(.lengthNotInteger(.str), at: args[1].range)
        return nil
      }
      if case .integer(let n) = args[1].kind { size = Int(min(n + 1, UInt64(options.stringLength))) }
    }
    return .string(size: size)
  }
}
