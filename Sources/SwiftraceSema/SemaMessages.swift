import SwiftraceBasics

/// The words of the checker's diagnostics about statements, variables and maps, in one place;
/// those about calls, builtins and expressions are in SemaMessages+Expressions.swift, those about
/// attach points in the providers' `ProbeProblem`s. The checker names these and writes none.
extension DiagnosticMessage {

  // MARK: Statements

  static func predicateNotInteger(_ t: SType) -> Self { Self(.semaPredicateNotInteger, "a predicate must be an integer, not \(t)") }
  /// ARTICLE_KEYWORD: "an if", "a while".
  static func conditionNotInteger(_ articleKeyword: String, _ t: SType) -> Self {
    Self(.semaConditionNotInteger, "\(articleKeyword) condition must be an integer, not \(t)")
  }
  static func rangeBoundNotInteger(_ t: SType) -> Self { Self(.semaRangeNotInteger, "a range bound must be an integer, not \(t)") }
  static func loopCounterMismatch(_ variable: String, holds existing: SType) -> Self {
    Self(.semaVariableTypeMismatch, "type mismatch for '\(variable)': the loop counts integers but it holds \(existing)")
  }
  static func unrollOutOfRange(_ n: Int64) -> Self {
    Self(.semaUnrollCount, "unroll \(n < 1 ? "minimum value is 1" : "maximum value is 100") (got \(n))")
  }
  static let unrollNeedsLiteral = Self(.semaUnrollCount,
                                       "unroll needs an integer literal (or a numeric positional parameter) from 1 to 100")
  static func notInLoop(_ word: String) -> Self { Self(.semaNotInLoop, "'\(word)' can only be used inside a loop") }
  static let returnInMapLoop = Self(.semaReturnInMapLoop, "'return' cannot be used inside 'for (... : @map)'; use 'break'")
  static func forNeedsWholeMap(_ variable: String) -> Self {
    Self(.semaForMapTarget, "'for (\(variable) : ...)' iterates over a map without keys, as in '@m'")
  }
  static func cannotIterate(_ map: String, why: String) -> Self { Self(.semaForMapTarget, "cannot iterate over '\(map)': \(why)") }
  static func loopEntryMismatch(_ variable: String, holds existing: SType, entries entry: SType) -> Self {
    Self(.semaVariableTypeMismatch, "type mismatch for '\(variable)': it holds \(existing), the entries are \(entry)")
  }

  // MARK: Assignments and variables

  static func aggregationAsStatement(_ name: String) -> Self {
    Self(.semaAggregationNotAssigned, "\(name)() must be assigned to a map, as in '@x = \(name)(...)'")
  }
  static func aggregationOnlyToMap(_ name: String) -> Self {
    Self(.semaAggregationNotAssigned, "\(name)() can only be assigned to a map")
  }
  static func compoundAggregation(_ name: String) -> Self {
    Self(.semaCompoundAggregation, "\(name)() cannot be combined with a compound assignment")
  }
  static func notStorable(_ t: SType) -> Self { Self(.semaNotStorable, "a value of type \(t) cannot be assigned") }
  static func compoundNotInteger(_ t: SType) -> Self { Self(.semaCompoundNotInteger, "compound assignment needs an integer, not \(t)") }
  static func compoundNotIntegerMap(_ map: String, holds existing: SType) -> Self {
    Self(.semaCompoundNotInteger, "compound assignment needs an integer map, but '\(map)' holds \(existing)")
  }
  static func variableTypeMismatch(_ name: String, assigning value: SType, holds existing: SType) -> Self {
    Self(.semaVariableTypeMismatch, "type mismatch for '\(name)': assigning \(value) to a variable that holds \(existing)")
  }

  // MARK: Maps and aggregations

  static func undefinedMap(_ name: String, hint: String) -> Self {
    Self(.semaUndefinedMap, "map '\(name)' is read but never assigned\(hint)")
  }
  static func unknownMapKind(_ kind: String, suggestion: String?) -> Self {
    Self(.semaMapValueType, "unknown map kind '\(kind)'; use hash, lruhash, percpuhash or percpulruhash"
           + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""))
  }
  static func mapEntries(_ n: UInt64) -> Self { Self(.semaMapValueType, "a map holds from 1 to 1073741824 entries, not \(n)") }
  static func unusedMapDeclaration(_ name: String) -> Self { Self(.semaUndefinedMap, "map '\(name)' is declared but never used") }
  static func mapKindMismatch(_ name: String, _ kind: String, holds t: SType) -> Self {
    Self(.semaMapValueType,
         kind.hasPrefix("percpu") ? "a \(kind) holds aggregations (count(), sum(), ...), and '\(name)' holds \(t)"
           : "'\(name)' holds \(t), an aggregation kept per CPU: declare it percpuhash or percpulruhash, not \(kind)")
  }
  static let tupleKey = Self(.semaInvalidKey, "a tuple key stands for all the keys: @m[(a, b)] or @m[a, b], not both")
  static func invalidKey(_ t: SType) -> Self { Self(.semaInvalidKey, "a map key must be an integer or a string, not \(t)") }
  static func mapKeyCount(_ name: String, here: Int, elsewhere: Int) -> Self {
    Self(.semaMapKeyCount, "map '\(name)' is used with \(here) key\(here == 1 ? "" : "s") here but \(elsewhere) elsewhere")
  }
  static func mapKeyType(_ name: String, keyedBy a: SType, key b: SType) -> Self {
    Self(.semaMapKeyType, "map '\(name)' is keyed by \(a) but this key is \(b)")
  }
  static func mapValueType(_ name: String, assigning value: SType, holds existing: SType) -> Self {
    Self(.semaMapValueType, "type mismatch for map '\(name)': assigning \(value) but it holds \(existing)")
  }
  /// TAKES: "no arguments", "one argument", "4 arguments".
  static func aggregationArity(_ f: Function, takes: String) -> Self { Self(.semaArity, "\(f.rawValue)() takes \(takes): \(f.signature)") }
  static let tseriesInterval = Self(.semaArgumentType, "tseries()'s interval is a positive integer literal in nanoseconds, or a duration (100ms, 1s)")
  static func tseriesCount(_ most: Int64) -> Self {
    Self(.semaArgumentType, "tseries()'s number of intervals is an integer literal from 1 to \(most)")
  }
  static let tseriesFunction = Self(.semaArgumentType, "tseries()'s function is \"avg\", \"max\", \"min\" or \"sum\"")
  static func lhistNeedsLiteral(_ what: String) -> Self { Self(.semaArgumentType, "lhist()'s \(what) must be an integer literal") }
  static func lhistNegativeMin(_ lo: Int64) -> Self { Self(.semaLhistBounds, "lhist()'s min must not be negative (it is \(lo))") }
  static func lhistEmptyRange(_ lo: Int64, _ hi: Int64) -> Self {
    Self(.semaLhistBounds, "lhist()'s min must be less than its max (they are \(lo) and \(hi))")
  }
  static func lhistStepTooSmall(_ step: Int64) -> Self { Self(.semaLhistBounds, "lhist()'s step must be at least 1 (it is \(step))") }
  static func lhistStepTooLarge(_ step: Int64, _ lo: Int64, _ hi: Int64) -> Self {
    Self(.semaLhistBounds, "lhist()'s step \(step) is larger than its range \(lo)..\(hi)")
  }
  static func lhistTooManyBuckets(_ n: Int64) -> Self {
    Self(.semaLhistBounds, "lhist() would need \(n) buckets; at most 1000 are allowed")
  }

  // MARK: Attach points (each provider's own problems are in its file under Providers/)

  static func invalidAttachPoint(_ why: String) -> Self { Self(.semaInvalidAttachPoint, why) }
  /// WHAT: the provider's words for an attach point that names nothing here.
  static func noMatch(_ what: String) -> Self { Self(.semaNoMatch, what) }
  static func noMatchSkipped(_ what: String) -> Self { Self(.semaNoMatch, what + "; skipped") }
  static let iteratorNotAlone = Self(.semaIteratorNotAlone,
                                     "an iter probe runs once over the kernel's objects and ends the trace: only BEGIN and END may join it")
  static func positionalMissing(_ n: Int, given: Int) -> Self {
    Self(.semaPositionalMissing,
         "the attach point uses $\(n), but only \(given) positional parameter\(given == 1 ? " was" : "s were") given")
  }

  // MARK: Program options

  static func getoptLiteral(_ why: String) -> Self { Self(.semaGetopt, "getopt(): \(why)") }
  static func getoptDefaults(_ name: String, _ first: ProgramOption.Value) -> Self {
    Self(.semaGetopt, "program option --\(name) must have the same default everywhere it is read; it was first \(first)")
  }
  static func getoptDescriptions(_ name: String) -> Self {
    Self(.semaGetopt, "program option --\(name) must have the same description everywhere it is read (a macro can hold one getopt())")
  }
  static func getoptValue(_ name: String, given: String?, expects: String) -> Self {
    Self(.semaGetopt, "program option --\(name) expects \(expects), given \(given.map { "'\($0)'" } ?? "no value")")
  }
  static func getoptTooLong(_ name: String, limit: Int) -> Self {
    Self(.semaGetopt, "program option --\(name) is longer than the string limit of \(limit - 1) bytes (max_strlen)")
  }
}
