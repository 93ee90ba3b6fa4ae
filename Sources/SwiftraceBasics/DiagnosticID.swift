/// Every diagnostic's identity, declared once by stage (as swift-syntax keeps its messages in one
/// catalog): call sites name a case, so an id cannot be misspelt or reused by accident, and tests
/// and tools can tell diagnostics apart without matching their words.
public enum DiagnosticID: String, CaseIterable, Sendable {
  // lex
  case lexExpectedVariableName = "lex.expectedVariableName"
  case lexInvalidCharacter = "lex.invalidCharacter"
  case lexUnterminatedComment = "lex.unterminatedComment"
  case lexUnterminatedString = "lex.unterminatedString"
  // parse
  case parseElseWithoutIf = "parse.elseWithoutIf"
  case parseExpected = "parse.expected"
  case parseExpectedBlock = "parse.expectedBlock"
  case parseExpectedExpression = "parse.expectedExpression"
  case parseExpectedFieldName = "parse.expectedFieldName"
  case parseExpectedProbe = "parse.expectedProbe"
  case parseExpectedSemicolon = "parse.expectedSemicolon"
  case parseExpectedType = "parse.expectedType"
  case parseExpectedVariable = "parse.expectedVariable"
  case parseInvalidAssignmentTarget = "parse.invalidAssignmentTarget"
  case parseInvalidEscape = "parse.invalidEscape"
  case parseInvalidIncrementTarget = "parse.invalidIncrementTarget"
  case parseInvalidInteger = "parse.invalidInteger"
  case parseInvalidPositional = "parse.invalidPositional"
  case parseTooDeep = "parse.tooDeep"
  case parseTooLong = "parse.tooLong"
  case parseUnsupported = "parse.unsupported"
  // sema
  case semaAggregationNotAssigned = "sema.aggregationNotAssigned"
  case semaAggregationRead = "sema.aggregationRead"
  case semaArgumentByValue = "sema.argumentByValue"
  case semaArgumentOnStack = "sema.argumentOnStack"
  case semaArgumentType = "sema.argumentType"
  case semaArity = "sema.arity"
  case semaArrowOnRecord = "sema.arrowOnRecord"
  case semaBannedProbe = "sema.bannedProbe"
  case semaBufferLength = "sema.bufferLength"
  case semaBuiltinUnavailable = "sema.builtinUnavailable"
  case semaCastOperand = "sema.castOperand"
  case semaCompoundAggregation = "sema.compoundAggregation"
  case semaCompoundNotInteger = "sema.compoundNotInteger"
  case semaConditionNotInteger = "sema.conditionNotInteger"
  case semaContextInMapLoop = "sema.contextInMapLoop"
  case semaCpidWithoutCommand = "sema.cpidWithoutCommand"
  case semaDeleteHistogram = "sema.deleteHistogram"
  case semaDereference = "sema.dereference"
  case semaFieldAccess = "sema.fieldAccess"
  case semaForMapTarget = "sema.forMapTarget"
  case semaIncrementNotInteger = "sema.incrementNotInteger"
  case semaIndex = "sema.index"
  case semaIndexOutOfBounds = "sema.indexOutOfBounds"
  case semaInvalidAttachPoint = "sema.invalidAttachPoint"
  case semaInvalidKey = "sema.invalidKey"
  case semaIteratorNotAlone = "sema.iteratorNotAlone"
  case semaIteratorPrintf = "sema.iteratorPrintf"
  case semaLhistBounds = "sema.lhistBounds"
  case semaMapKeyCount = "sema.mapKeyCount"
  case semaMapKeyType = "sema.mapKeyType"
  case semaMapValueType = "sema.mapValueType"
  case semaMissingCallParentheses = "sema.missingCallParentheses"
  case semaNoDebugInfo = "sema.noDebugInfo"
  case semaNoKernelTypes = "sema.noKernelTypes"
  case semaNoMatch = "sema.noMatch"
  case semaNotATuple = "sema.notATuple"
  case semaNotAValue = "sema.notAValue"
  case semaNotInLoop = "sema.notInLoop"
  case semaNotStorable = "sema.notStorable"
  case semaOffsetofType = "sema.offsetofType"
  case semaOperandType = "sema.operandType"
  case semaPositionalMissing = "sema.positionalMissing"
  case semaPositionalNotInteger = "sema.positionalNotInteger"
  case semaPredicateNotInteger = "sema.predicateNotInteger"
  case semaPrintfArgumentType = "sema.printfArgumentType"
  case semaPrintfArity = "sema.printfArity"
  case semaPrintfFormat = "sema.printfFormat"
  case semaRangeNotInteger = "sema.rangeNotInteger"
  case semaReturnInMapLoop = "sema.returnInMapLoop"
  case semaShiftCount = "sema.shiftCount"
  case semaSizeof = "sema.sizeof"
  case semaStringTooLong = "sema.stringTooLong"
  case semaStructTooLarge = "sema.structTooLarge"
  case semaTernaryTypes = "sema.ternaryTypes"
  case semaTupleElement = "sema.tupleElement"
  case semaTupleIndex = "sema.tupleIndex"
  case semaUndefinedMap = "sema.undefinedMap"
  case semaUndefinedVariable = "sema.undefinedVariable"
  case semaUnknownCgroup = "sema.unknownCgroup"
  case semaUnknownField = "sema.unknownField"
  case semaUnknownFunction = "sema.unknownFunction"
  case semaUnknownIdentifier = "sema.unknownIdentifier"
  case semaUnknownIterator = "sema.unknownIterator"
  case semaUnknownRegister = "sema.unknownRegister"
  case semaUnknownSignal = "sema.unknownSignal"
  case semaUnknownSymbol = "sema.unknownSymbol"
  case semaUnknownTracepoint = "sema.unknownTracepoint"
  case semaUnknownType = "sema.unknownType"
  case semaUnreadableType = "sema.unreadableType"
  case semaUnrollCount = "sema.unrollCount"
  case semaUnsafe = "sema.unsafe"
  case semaUprobeAddress = "sema.uprobeAddress"
  case semaUprobeOffset = "sema.uprobeOffset"
  case semaUprobeTarget = "sema.uprobeTarget"
  case semaUsdtArgument = "sema.usdtArgument"
  case semaVariableTypeMismatch = "sema.variableTypeMismatch"
  case semaWatchpointTarget = "sema.watchpointTarget"
  // config
  case configUnknownKey = "config.unknownKey"
  case configValue = "config.value"
  // clang
  case clangError = "clang.error"
  // codegen
  case codegenLimit = "codegen.limit"
  case codegenTooLarge = "codegen.tooLarge"
  // verifier
  case verifierRejected = "verifier.rejected"
  // runtime
  case runtimeHelperError = "runtime.helperError"
}

/// A diagnostic's identity and words. Each stage makes its messages in one catalog file
/// (Syntax/SyntaxMessages.swift, ...), as swift-syntax keeps its parser's messages: call sites name
/// a message, so the words of an error are found and changed in one place.
public struct DiagnosticMessage: Error, Sendable {
  public let id: DiagnosticID
  public let text: String

  public init(_ id: DiagnosticID, _ text: String) {
    self.id = id
    self.text = text
  }
}
