import SwiftraceBasics
import SwiftraceSyntax

/// printf in an iterator probe is formatted by the kernel (bpf_seq_printf), into what reading the
/// iterator returns: its format takes what the kernel's formatter knows, and its arguments are
/// 8-byte values, strings by address.
extension TypeChecker {
  func checkIteratorPrintf(_ format: PrintfFormat, argumentTypes: [SType], arguments: [Expr], at range: SourceRange) {
    for conversion in format.conversions where !"diuxXcsp".contains(conversion.specifier) || conversion.length.hasPrefix("h") {
      error(.iteratorConversion("\(conversion.length)\(conversion.specifier)"), at: range)
      return
    }
    for (t, arg) in zip(argumentTypes, arguments) where !(t.isIntegerLike && !t.isSymbol) && !t.isString {
      error(.iteratorArgument(t), at: arg.range)
    }
    // The kernel takes at most 12 values (MAX_BPRINTF_VARARGS).
    if arguments.count > 12 {
      error(.iteratorTooManyArguments, at: range)
    }
  }
}

extension PrintfFormat {
  /// The format as the kernel's bpf_seq_printf reads it: every integer is an 8-byte value
  /// (`%d` becomes `%lld`), `%p` prints the address itself (the kernel's `%p` would hash it), and a
  /// literal `%` is `%%`.
  public var kernelFormat: String {
    var out = ""
    for piece in pieces {
      switch piece {
      case .text(let text):
        out += text.replacing("%", with: "%%")
      case .conversion(let c):
        var spec = "%" + c.flags
        if let width = c.width { spec += String(width) }
        if let precision = c.precision { spec += ".\(precision)" }
        switch c.specifier {
        case "p": out += "0x%llx"
        case "c", "s": out += spec + String(c.specifier)
        default: out += spec + "ll" + String(c.specifier)
        }
      }
    }
    return out
  }
}
