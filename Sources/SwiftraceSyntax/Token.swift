import SwiftraceBasics

/// A token is a kind plus a range: a slice of the source, not a copy (clox's scanner).
public struct Token: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    // Punctuation
    case lbrace, rbrace, lparen, rparen, lbracket, rbracket
    case comma, semicolon, colon, question, dot, arrow
    /// `..` in `for ($i : 0..10)`
    case dotDot
    // Operators
    case plus, minus, star, slash, percent, amp, pipe, caret, tilde, bang
    case shl, shr, lt, gt, le, ge, eq, ne, and, or
    case assign
    /// `+=`, `<<=` and the other compound assignments; the payload is the arithmetic part.
    case compoundAssign(BinaryOperator)
    case increment, decrement
    // Literals and names
    case integer, string, identifier
    case keyword(Keyword)
    /// `$name`
    case variable
    /// `$1`, `$2`, ...
    case positional
    /// `$#`
    case positionalCount
    /// `@name`, or `@` alone
    case map
    /// C text before the probes: a preprocessor line or a struct/union/enum/typedef definition.
    case cDefinition
    /// The raw text of one attach point (`tracepoint:syscalls:sys_enter_openat`), lexed in its own mode.
    case attachPoint
    case endOfFile
    /// A character no token starts with; the lexer has already reported it.
    case invalid
  }

  public var kind: Kind
  public var range: SourceRange

  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

public enum Keyword: String, CaseIterable, Sendable {
  case `if`, `else`, `while`, `for`, `return`, `unroll`, `break`, `continue`
}

extension Token.Kind: CustomStringConvertible {
  /// How the token is named in diagnostics ("expected ';'").
  public var description: String {
    switch self {
    case .lbrace: return "'{'"
    case .rbrace: return "'}'"
    case .lparen: return "'('"
    case .rparen: return "')'"
    case .lbracket: return "'['"
    case .rbracket: return "']'"
    case .comma: return "','"
    case .semicolon: return "';'"
    case .colon: return "':'"
    case .question: return "'?'"
    case .dot: return "'.'"
    case .dotDot: return "'..'"
    case .arrow: return "'->'"
    case .plus: return "'+'"
    case .minus: return "'-'"
    case .star: return "'*'"
    case .slash: return "'/'"
    case .percent: return "'%'"
    case .amp: return "'&'"
    case .pipe: return "'|'"
    case .caret: return "'^'"
    case .tilde: return "'~'"
    case .bang: return "'!'"
    case .shl: return "'<<'"
    case .shr: return "'>>'"
    case .lt: return "'<'"
    case .gt: return "'>'"
    case .le: return "'<='"
    case .ge: return "'>='"
    case .eq: return "'=='"
    case .ne: return "'!='"
    case .and: return "'&&'"
    case .or: return "'||'"
    case .assign: return "'='"
    case .compoundAssign(let op): return "'\(op.spelling)='"
    case .increment: return "'++'"
    case .decrement: return "'--'"
    case .integer: return "integer"
    case .string: return "string"
    case .identifier: return "identifier"
    case .keyword(let k): return "'\(k.rawValue)'"
    case .variable: return "variable"
    case .positional: return "positional parameter"
    case .positionalCount: return "'$#'"
    case .map: return "map"
    case .attachPoint: return "attach point"
    case .cDefinition: return "C definition"
    case .endOfFile: return "end of input"
    case .invalid: return "invalid character"
    }
  }
}
