import SwiftraceBasics

/// The words of every lexer and parser diagnostic, in one place: the lexer and the parser name
/// these, and write none of their own.
extension DiagnosticMessage {
  // MARK: Lexer

  static let unterminatedStringInAttachPoint = Self(.lexUnterminatedString, "unterminated string in attach point")
  static let unterminatedString = Self(.lexUnterminatedString, "unterminated string literal")
  static let unterminatedComment = Self(.lexUnterminatedComment, "unterminated '/*' comment")
  static let expectedVariableName = Self(.lexExpectedVariableName, "expected a variable name after '$'")
  static func invalidCharacter(_ character: String) -> Self { Self(.lexInvalidCharacter, "invalid character '\(character)'") }

  // MARK: Parser

  static func expected(_ what: String, _ context: String, found: String) -> Self {
    Self(.parseExpected, "expected \(what) \(context), found \(found)")
  }
  static func expectedBlockEnd(_ closer: String, found: String) -> Self {
    Self(.parseExpected, "expected \(closer) to end the probe's block, found \(found)")
  }
  static func expectedProbe(found: String) -> Self { Self(.parseExpectedProbe, "expected a probe, found \(found)") }
  static let expectedAttachPointAfterComma = Self(.parseExpectedProbe, "expected an attach point after ','")
  static func expectedBlock(found: String) -> Self {
    Self(.parseExpectedBlock, "expected '{' or '<' to start the probe's block, found \(found)")
  }
  static func expectedSemicolon(found: String) -> Self {
    Self(.parseExpectedSemicolon, "expected ';' after statement, found \(found)")
  }
  static func tooDeep(levels: Int) -> Self {
    Self(.parseTooDeep, "nested too deeply: more than \(levels) levels of expressions or blocks")
  }
  static func tooLong(operators: Int) -> Self {
    Self(.parseTooLong, "expression too long: more than \(operators) operators in one expression")
  }
  static func expectedConfigKey(found: String) -> Self {
    Self(.parseExpected, "expected a config key such as max_strlen, found \(found)")
  }
  static func expectedConfigValue(found: String) -> Self {
    Self(.parseExpected, "expected a config value (a number, a word or a string), found \(found)")
  }
  static func expectedCondition(after keyword: String) -> Self {
    Self(.parseExpectedExpression, "expected a condition after \(keyword)")
  }
  static func expectedDeclaredType(found: String) -> Self {
    Self(.parseExpectedType, "expected a type (an integer type such as uint32, bool, string or string[N]) after ':', found \(found)")
  }
  static let blockWithoutValue = Self(.parseBlockWithoutValue,
                                      "a block used as a value must end with an expression and no ';', as in { let $b = 1; $b }")
  static let elseWithoutIf = Self(.parseElseWithoutIf, "'else' without a matching 'if'")
  static let invalidAssignmentTarget = Self(.parseInvalidAssignmentTarget, "only maps and scratch variables can be assigned to")
  static let invalidIncrementTarget = Self(.parseInvalidIncrementTarget,
                                           "only maps and scratch variables can be incremented or decremented")
  static let expectedLoopVariable = Self(.parseExpectedVariable, "expected a scratch variable such as '$i' after 'for'")
  static func expectedFieldName(after accessor: String, found: String) -> Self {
    Self(.parseExpectedFieldName, "expected a field name after \(accessor), found \(found)")
  }
  static func expectedOffsetofField(found: String) -> Self {
    Self(.parseExpectedFieldName, "expected a field name in offsetof, found \(found)")
  }
  static let offsetofNeedsStruct = Self(.parseExpectedType, "offsetof needs a struct type, as in offsetof(struct task_struct, pid)")
  static let positionalStartsAtOne = Self(.parseInvalidPositional, "positional parameters start at $1")
  static func expectedExpression(found: String) -> Self { Self(.parseExpectedExpression, "expected an expression, found \(found)") }
  static func integerTooLarge(_ literal: String) -> Self {
    Self(.parseInvalidInteger, "integer literal '\(literal)' does not fit in 64 bits")
  }
  static func invalidInteger(_ literal: String) -> Self { Self(.parseInvalidInteger, "invalid integer literal '\(literal)'") }
  static let hexEscapeWithoutDigits = Self(.parseInvalidEscape, "'\\x' needs hexadecimal digits")
  static func unknownEscape(_ character: Character) -> Self {
    Self(.parseInvalidEscape, "unknown escape sequence '\\\(character)'")
  }

  // MARK: Imports

  /// WHAT: the problem with the imported file.
  public static func importProblem(_ what: String) -> Self { Self(.parseImport, what) }

  // MARK: Macros

  static func macroParameter(found: String) -> Self {
    Self(.macroParameter, "expected a macro parameter ($variable, @map or a name), found \(found)")
  }
  static func macroDuplicate(_ name: String, parameters: Int) -> Self {
    Self(.macroDuplicate, "macro '\(name)' with \(parameters) parameter\(parameters == 1 ? "" : "s") is defined twice")
  }
  static func macroArity(_ name: String, takes: String, given: Int) -> Self {
    Self(.macroArity, "macro '\(name)' takes \(takes) argument\(takes == "1" ? "" : "s"), \(given) given")
  }
  static func macroArgument(_ parameter: String, macro: String, needs: String) -> Self {
    Self(.macroArgument, "macro '\(macro)' needs \(needs) for its parameter \(parameter)")
  }
  static func macroRecursive(_ name: String) -> Self {
    Self(.macroRecursive, "macro '\(name)' calls itself: macros are expanded where they are called, so this would never end")
  }
  static func macroUnhygienicMap(_ map: String, macro: String) -> Self {
    Self(.macroUnhygienicMap,
         "macro '\(macro)' uses \(map), which is not one of its parameters: a macro reaches only the maps it is given (add \(map) as a parameter)")
  }
  static func macroValueless(_ name: String) -> Self {
    Self(.macroValueless,
         "macro '\(name)' has no value (its body ends with a statement): call it as a statement, or end it with an expression and no ';'")
  }
  static func macroExpansionTooLarge(_ why: String) -> Self {
    Self(.macroTooLarge, "macro expansion too large: it \(why)")
  }
}
