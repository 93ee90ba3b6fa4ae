import SwiftraceBasics
import SwiftraceSyntax

/// printf(), cat() and system(): a format literal whose conversions match the arguments, and the
/// event layout userspace formats them from.
extension TypeChecker {
  func checkPrintf(args: [Expr], _ e: Expr, kind: PrintfInfo.Kind = .printf) {
    let name = kind.rawValue
    guard let first = args.first, case .string(let text) = first.kind else {
      error(.formatNotLiteral(name), at: args.first?.range ?? e.range)
      args.forEach { check($0) }
      return
    }
    types[first.id] = .string(size: text.rawByteCount + 1)
    let rest = Array(args.dropFirst())
    let argTypes = rest.map { check($0) }
    let format: PrintfFormat
    switch PrintfFormat.parse(text) {
    case .failure(let err):
      error(.invalidConversion(name, err.spec), at: first.range)
      return
    case .success(let f):
      format = f
    }
    let conversions = format.conversions
    if let wide = conversions.first(where: { max($0.width ?? 0, $0.precision ?? 0) > PrintfFormat.widestField }) {
      error(.fieldTooWide(name, max(wide.width ?? 0, wide.precision ?? 0)), at: first.range)
      return
    }
    if conversions.count != rest.count {
      error(.printfArity(name, conversions: conversions.count, arguments: rest.count), at: e.range)
      return
    }
    var resolved: [SType] = []
    for (i, (conv, t)) in zip(conversions, argTypes).enumerated() {
      guard let t else { return }
      let ok = conv.expectsBuffer ? t.isBuffer : conv.expectsString ? t.printsAsText : t.isIntegerLike
      if !ok {
        let wanted = conv.expectsBuffer ? "a buffer (from buf())" : conv.expectsString ? "a string" : "an integer"
        error(.printfArgumentType(name, "\(conv.specifier)\(conv.bufferStyle)", expects: wanted, argument: i + 2, is: t),
              at: rest[i].range)
        return
      }
      resolved.append(t)
    }
    if case .iterator = current.kind, kind == .printf {
      checkIteratorPrintf(format, argumentTypes: resolved, arguments: rest, at: first.range)
    }
    if printfIDs[e.id] == nil {
      printfIDs[e.id] = printfs.count
      printfs.append(PrintfInfo(format: format, argumentTypes: resolved, kind: kind, range: e.range))
    } else if let id = printfIDs[e.id], printfs[id].argumentTypes != resolved {
      // A later round (or another attach point) widened a type: the event layout follows.
      printfs[id] = PrintfInfo(format: format, argumentTypes: resolved, kind: kind, range: e.range)
    }
  }
}
