import SwiftraceBasics
import SwiftraceSyntax

extension TypeChecker {
  /// `buf(p, n)` reads n bytes at pointer p; `buf(s [, n])` takes bytes of a string value. The
  /// capacity is the literal length, else BPFTRACE_STRLEN; a string source caps it at its own
  /// size (bpftrace 0.17 reads past the end of `comm` when asked for more).
  func checkBuf(args: [Expr], _ e: Expr) -> SType? {
    guard args.count == 1 || args.count == 2 else {
      error(.bufArity, at: e.range)
      return nil
    }
    guard let source = check(args[0]) else { return nil }
    var capacity = options.stringLength
    switch source {
    case .string(let n):
      // A string is its bytes and then zeros, as a C char array initialized from a literal is:
      // `buf("ok", 4)` is `ok\x00\x00`. Without a length, the string's own size.
      capacity = args.count == 2 ? options.stringLength : n
    case .array:
      capacity = source.byteSize  // the array's bytes, as they are in memory
    case _ where source.isIntegerLike:
      guard args.count == 2 else {
        error(.bufNeedsLength, at: e.range)
        return nil
      }
    default:
      error(.bufSource(source), at: args[0].range)
      return nil
    }
    if args.count == 2 {
      guard let lt = check(args[1]), lt.isInteger else {
        error(.lengthNotInteger(.buf), at: args[1].range)
        return nil
      }
      if case .integer(let n) = args[1].kind {
        if n > UInt64(options.stringLength) {
          warning(.bufShortened(n, to: options.stringLength), at: args[1].range)
        }
        capacity = min(capacity, Int(min(n, UInt64(options.stringLength))))
      } else {
        capacity = min(capacity, options.stringLength)
      }
    }
    return .buffer(size: max(1, capacity))
  }
}
