internal import CClang
import FoundationEssentials
import Glibc
import SwiftraceSema

/// The structs, unions, enums and macros that a script's C definitions declare, parsed by libclang.
/// Types it does not define (or only declares) come from `fallback`, the kernel's BTF.
public final class CDefinitions: KernelTypeCatalog {
  /// A message from clang, at a line of the script.
  public struct Problem: Sendable {
    public let line: Int
    public let column: Int
    public let message: String
    public let isError: Bool
  }

  /// `#define NAME value` with an integer value, and enum constants.
  public private(set) var constants: [String: Int64] = [:]
  private var enumsByName: [String: EnumType] = [:]
  private var enumsByConstant: [String: EnumType] = [:]
  public private(set) var problems: [Problem] = []
  /// Headers named by `#include` that are not installed; BTF stands in for them.
  public private(set) var missingHeaders: [String] = []

  private let fallback: KernelTypeCatalog?
  private var index: CXIndex?
  private var unit: CXTranslationUnit?
  private var recordIDs: [String: Int] = [:]  // by USR
  private var records: [Int: (ref: RecordRef, cursor: CXCursor)] = [:]
  private var namedRecords: [String: Int] = [:]  // "struct point" -> id
  private var fieldCache: [Int: [RecordField]] = [:]

  static let systemIncludeDirectories = [
    "/usr/lib/llvm-14/lib/clang/14.0.6/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu", "/usr/include",
  ]

  /// `definitions` are the preamble's pieces with their 1-based first lines.
  public init(definitions: [(text: String, line: Int)], includeDirectories: [String], includeFiles: [String],
              fallback: KernelTypeCatalog?) {
    self.fallback = fallback
    var text = ""
    var line = 1
    for (piece, start) in definitions {
      while line < start {
        text += "\n"
        line += 1
      }
      for pieceLine in piece.split(separator: "\n", omittingEmptySubsequences: false) {
        text += keepIfInstalled(String(pieceLine), includeDirectories) + "\n"
        line += 1
      }
      // `struct S { ... }` ends a definition without its `;` in a script, as in bpftrace; C wants it.
      let trimmed = piece.trimmingSpaces()
      if !trimmed.hasPrefix("#") && !trimmed.hasSuffix(";") {
        text.removeLast()
        text += ";\n"
      }
    }
    var args = ["-x", "c", "-std=gnu11", "-DBPFTRACE_HAVE_BTF", "-Wno-everything", "-include", Self.preludePath]
    args += includeDirectories.flatMap { ["-I", $0] }
    args += includeFiles.flatMap { ["-include", $0] }
    parse(text, args, kernelDefinitions: nil)
    // A kernel struct embedded by value (`struct foo { struct task_struct t; }`) needs its
    // definition, which BTF has: parse once more with those definitions included, as bpftrace
    // does (only then: dumping them costs a parse of thousands of types).
    var incomplete: [(name: String, isUnion: Bool)] = []
    for problem in problems where problem.isError {
      if let r = Self.incompleteRecord(in: problem.message), !incomplete.contains(where: { $0 == r }) { incomplete.append(r) }
    }
    if !incomplete.isEmpty, let header = fallback?.cDefinitions(ofRecords: incomplete) {
      // Everything the first parse found points into its translation unit: start over.
      if let unit { clang_disposeTranslationUnit(unit) }
      if let index { clang_disposeIndex(index) }
      (unit, index, problems, constants) = (nil, nil, [], [:])
      (recordIDs, records, namedRecords, fieldCache) = ([:], [:], [:], [:])
      parse(text, args + ["-include", Self.kernelHeaderPath], kernelDefinitions: header)
    }
  }

  /// `struct task_struct` in clang's "field has incomplete type 'struct task_struct'".
  static func incompleteRecord(in message: String) -> (name: String, isUnion: Bool)? {
    guard message.contains("incomplete type '"), let open = message.firstIndex(of: "'") else { return nil }
    let quoted = message[message.index(after: open)...].prefix { $0 != "'" }
    let words = quoted.split(separator: " ")
    guard words.count == 2, words[0] == "struct" || words[0] == "union" else { return nil }
    return (String(words[1]), words[0] == "union")
  }

  deinit {
    if let unit { clang_disposeTranslationUnit(unit) }
    if let index { clang_disposeIndex(index) }
  }

  /// An `#include` of a kernel header that is not installed (`<net/sock.h>` without the kernel's
  /// headers) becomes an empty line (line numbers stay): the kernel's types come from BTF. Any
  /// other missing header stays, and clang reports it ("file not found"), as bpftrace does.
  private func keepIfInstalled(_ line: String, _ includeDirectories: [String]) -> String {
    let trimmed = line.trimmingSpaces()
    guard trimmed.hasPrefix("#"), trimmed.dropFirst().trimmingSpaces().hasPrefix("include") else {
      return line
    }
    guard let open = trimmed.firstIndex(where: { $0 == "<" || $0 == "\"" }) else { return line }
    let rest = trimmed[trimmed.index(after: open)...]
    guard let close = rest.firstIndex(where: { $0 == ">" || $0 == "\"" }) else { return line }
    let header = String(rest[..<close])
    let found = (includeDirectories + Self.systemIncludeDirectories).contains {
      FileManager.default.fileExists(atPath: "\($0)/\(header)")
    }
    let kernelDirectories = ["linux/", "asm/", "asm-generic/", "net/", "uapi/", "trace/", "kernel/", "generated/"]
    if found || !kernelDirectories.contains(where: { header.hasPrefix($0) }) { return line }
    missingHeaders.append(header)
    return ""
  }

  /// Included before the definitions: C99's fixed-width integer names, which bpftrace scripts use
  /// without an include (bpftrace finds them in the kernel's BTF). The same typedefs as glibc's
  /// stdint.h, so a script that includes it as well still compiles (C11 allows the repetition).
  static let preludePath = "/virtual/swiftrace-prelude.h"
  static let prelude = """
    typedef signed char int8_t; typedef short int int16_t; typedef int int32_t; typedef long int int64_t;
    typedef unsigned char uint8_t; typedef unsigned short int uint16_t; typedef unsigned int uint32_t;
    typedef unsigned long int uint64_t;

    """

  static let kernelHeaderPath = "/virtual/swiftrace-kernel-types.h"

  private func parse(_ text: String, _ args: [String], kernelDefinitions: String?) {
    index = clang_createIndex(0, 0)
    let path = "/virtual/swiftrace-definitions.c"
    let cArgs = args.map { strdup($0) }
    defer { cArgs.forEach { free($0) } }
    var argv = cArgs.map { UnsafePointer<CChar>($0) }
    let contents = strdup(text)!
    defer { free(contents) }
    let fileName = strdup(path)!
    defer { free(fileName) }
    let preludeContents = strdup(Self.prelude)!
    defer { free(preludeContents) }
    let preludeName = strdup(Self.preludePath)!
    defer { free(preludeName) }
    let kernelText = kernelDefinitions ?? ""
    let kernelContents = strdup(kernelText)!
    defer { free(kernelContents) }
    let kernelName = strdup(Self.kernelHeaderPath)!
    defer { free(kernelName) }
    var unsaved = [
      CXUnsavedFile(Filename: fileName, Contents: contents, Length: UInt(text.utf8.count)),
      CXUnsavedFile(Filename: preludeName, Contents: preludeContents, Length: UInt(Self.prelude.utf8.count)),
      CXUnsavedFile(Filename: kernelName, Contents: kernelContents, Length: UInt(kernelText.utf8.count)),
    ]
    var tu: CXTranslationUnit?
    let options = CXTranslationUnit_DetailedPreprocessingRecord.rawValue | CXTranslationUnit_SkipFunctionBodies.rawValue
    let rc = clang_parseTranslationUnit2(index, path, &argv, Int32(argv.count), &unsaved, UInt32(unsaved.count), options, &tu)
    guard rc == CXError_Success, let tu else {
      problems.append(Problem(line: 1, column: 1, message: "libclang could not parse the C definitions", isError: true))
      return
    }
    unit = tu
    collectProblems(tu)
    let context = Unmanaged.passUnretained(self).toOpaque()
    clang_visitChildren(clang_getTranslationUnitCursor(tu), { cursor, _, data in
      let me = Unmanaged<CDefinitions>.fromOpaque(data!).takeUnretainedValue()
      return me.visit(cursor)
    }, context)
  }

  private func collectProblems(_ tu: CXTranslationUnit) {
    for i in 0..<clang_getNumDiagnostics(tu) {
      let d = clang_getDiagnostic(tu, i)
      defer { clang_disposeDiagnostic(d) }
      let severity = clang_getDiagnosticSeverity(d)
      guard severity.rawValue >= CXDiagnostic_Warning.rawValue else { continue }
      var file: CXFile?
      var line: UInt32 = 0, column: UInt32 = 0
      clang_getSpellingLocation(clang_getDiagnosticLocation(d), &file, &line, &column, nil)
      problems.append(Problem(line: Int(line), column: Int(column), message: string(clang_getDiagnosticSpelling(d)),
                              isError: severity.rawValue >= CXDiagnostic_Error.rawValue))
    }
  }

  private func visit(_ cursor: CXCursor) -> CXChildVisitResult {
    switch cursor.kind {
    case CXCursor_StructDecl, CXCursor_UnionDecl:
      if clang_isCursorDefinition(cursor) != 0, case .record(let r) = recordType(cursor), !r.name.isEmpty {
        namedRecords["\(r.isUnion ? "union" : "struct") \(r.name)"] = r.id
      }
      return CXChildVisit_Recurse
    case CXCursor_EnumConstantDecl:
      constants[string(clang_getCursorSpelling(cursor))] = clang_getEnumConstantDeclValue(cursor)
      return CXChildVisit_Continue
    case CXCursor_EnumDecl:
      collectEnum(cursor)
      return CXChildVisit_Recurse
    case CXCursor_MacroDefinition:
      if clang_Cursor_isMacroFunctionLike(cursor) == 0, let value = macroValue(cursor) {
        constants[string(clang_getCursorSpelling(cursor))] = value
      }
      return CXChildVisit_Continue
    case CXCursor_TypedefDecl:
      return CXChildVisit_Recurse
    default:
      return CXChildVisit_Continue
    }
  }

  /// An object-like macro whose tokens are an integer or an earlier constant, possibly negated or in
  /// parentheses.
  private func macroValue(_ cursor: CXCursor) -> Int64? {
    guard let unit else { return nil }
    var tokens: UnsafeMutablePointer<CXToken>?
    var count: UInt32 = 0
    clang_tokenize(unit, clang_getCursorExtent(cursor), &tokens, &count)
    defer { clang_disposeTokens(unit, tokens, count) }
    guard let tokens, count >= 2 else { return nil }
    var body = (1..<Int(count)).map { string(clang_getTokenSpelling(unit, tokens[$0])) }
    body.removeAll { $0 == "(" || $0 == ")" }
    var negative = false
    if body.first == "-" {
      negative = true
      body.removeFirst()
    }
    guard body.count == 1 else { return nil }
    if let alias = constants[body[0]] { return negative ? -alias : alias }  // `#define AF_INET PF_INET`
    var literal = body[0].lowercased()
    while let last = literal.last, last == "u" || last == "l" { literal.removeLast() }
    let value: Int64?
    if literal.hasPrefix("0x") {
      value = Int64(literal.dropFirst(2), radix: 16)
    } else if literal.count > 1 && literal.hasPrefix("0") {
      value = Int64(literal.dropFirst(), radix: 8)
    } else {
      value = Int64(literal)
    }
    return value.map { negative ? -$0 : $0 }
  }

  // MARK: Types

  /// A record type met in the definitions; incomplete ones are looked up in the fallback by name.
  private func recordType(_ declaration: CXCursor) -> CType {
    let usr = string(clang_getCursorUSR(declaration))
    let isUnion = declaration.kind == CXCursor_UnionDecl
    let name = clang_Cursor_isAnonymous(declaration) != 0 ? "" : string(clang_getCursorSpelling(declaration))
    let definition = clang_getCursorDefinition(declaration)
    if clang_Cursor_isNull(definition) != 0 {
      if let r = fallback?.record(named: name, isUnion: isUnion) { return .record(r) }
      return .unsupported("incomplete \(isUnion ? "union" : "struct") \(name)")
    }
    if let id = recordIDs[usr], let r = records[id] { return .record(r.ref) }
    let id = RecordRef.scriptRecordID - 1 - records.count  // below the script records' id: never a BTF id
    let size = Int(clang_Type_getSizeOf(clang_getCursorType(definition)))
    let ref = RecordRef(name: name, isUnion: isUnion, id: id, size: max(0, size))
    recordIDs[usr] = id
    records[id] = (ref, definition)
    return .record(ref)
  }

  func ctype(_ type: CXType) -> CType {
    let t = clang_getCanonicalType(type)
    switch t.kind {
    case CXType_Void: return .void
    case CXType_Bool, CXType_Char_U, CXType_UChar, CXType_UShort, CXType_UInt, CXType_ULong, CXType_ULongLong:
      return .integer(bytes: Int(clang_Type_getSizeOf(t)), signed: false)
    case CXType_Char_S, CXType_SChar, CXType_Short, CXType_Int, CXType_Long, CXType_LongLong, CXType_Enum:
      return .integer(bytes: Int(clang_Type_getSizeOf(t)), signed: true)
    case CXType_Pointer:
      return .pointer(ctype(clang_getPointeeType(t)))
    case CXType_ConstantArray:
      return .array(ctype(clang_getArrayElementType(t)), count: Int(clang_getArraySize(t)))
    case CXType_Record:
      return recordType(clang_getTypeDeclaration(t))
    default:
      return .unsupported(string(clang_getTypeSpelling(t)))
    }
  }

  // MARK: KernelTypeCatalog

  public func record(named name: String, isUnion: Bool) -> RecordRef? {
    if let id = namedRecords["\(isUnion ? "union" : "struct") \(name)"], let r = records[id] { return r.ref }
    return fallback?.record(named: name, isUnion: isUnion)
  }

  public func fields(of record: RecordRef) -> [RecordField] {
    guard record.id < 0 else { return fallback?.fields(of: record) ?? [] }
    if let cached = fieldCache[record.id] { return cached }
    guard let cursor = records[record.id]?.cursor else { return [] }
    var result: [RecordField] = []
    collectFields(clang_getCursorType(cursor), baseBits: 0, into: &result)
    fieldCache[record.id] = result
    return result
  }

  public func functionPrototype(_ name: String) -> (arguments: [(name: String, type: CType)], returnType: CType)? {
    fallback?.functionPrototype(name)
  }

  public func variable(named name: String) -> CType? { fallback?.variable(named: name) }
  public func typedef(named name: String) -> CType? {
    fallback?.typedef(named: name)
  }

  public func rawTracepointArguments(_ event: String) -> [(name: String, type: CType)]? {
    fallback?.rawTracepointArguments(event)
  }

  public func rawTracepointNames() -> [String] { fallback?.rawTracepointNames() ?? [] }

  public func constant(named name: String) -> Int64? {
    constants[name] ?? fallback?.constant(named: name)
  }

  public func enumeration(ofConstant name: String) -> EnumType? {
    constants[name] != nil ? enumsByConstant[name] : fallback?.enumeration(ofConstant: name)
  }

  public func enumeration(named name: String) -> EnumType? {
    enumsByName[name] ?? fallback?.enumeration(named: name)
  }

  private final class EnumVisit {
    var constants: [(String, Int64)] = []
  }

  /// An enum's constants, as one EnumType under its tag and under each constant's name.
  private func collectEnum(_ cursor: CXCursor) {
    let visit = EnumVisit()
    let context = Unmanaged.passUnretained(visit).toOpaque()
    clang_visitChildren(cursor, { child, _, data in
      if child.kind == CXCursor_EnumConstantDecl {
        let visit = Unmanaged<EnumVisit>.fromOpaque(data!).takeUnretainedValue()
        var name = ""
        let spelling = clang_getCursorSpelling(child)
        if let c = clang_getCString(spelling) { name = String(cString: c) }
        clang_disposeString(spelling)
        visit.constants.append((name, clang_getEnumConstantDeclValue(child)))
      }
      return CXChildVisit_Continue
    }, context)
    var names: [Int64: String] = [:]
    for (name, value) in visit.constants where names[value] == nil { names[value] = name }
    let tag = string(clang_getCursorSpelling(cursor))
    let type = EnumType(name: tag.hasPrefix("enum (") ? "" : tag, names: names)  // clang spells anonymous ones "enum (unnamed at ...)"
    if !type.name.isEmpty { enumsByName[type.name] = type }
    for (name, _) in visit.constants { enumsByConstant[name] = type }
  }

  public func recordNames() -> [String] {
    namedRecords.keys.compactMap { $0.split(separator: " ").last.map(String.init) } + (fallback?.recordNames() ?? [])
  }

  private final class FieldVisit {
    var cursors: [CXCursor] = []
  }

  private func collectFields(_ type: CXType, baseBits: Int, into result: inout [RecordField]) {
    let visit = FieldVisit()
    let context = Unmanaged.passUnretained(visit).toOpaque()
    _ = clang_Type_visitFields(type, { cursor, data in
      Unmanaged<FieldVisit>.fromOpaque(data!).takeUnretainedValue().cursors.append(cursor)
      return CXVisit_Continue
    }, context)
    for cursor in visit.cursors {
      let name = string(clang_getCursorSpelling(cursor))
      let bits = baseBits + Int(clang_Cursor_getOffsetOfField(cursor))
      let fieldType = ctype(clang_getCursorType(cursor))
      if clang_Cursor_isAnonymousRecordDecl(cursor) != 0 || name.isEmpty, case .record = fieldType {
        collectFields(clang_getCursorType(cursor), baseBits: bits, into: &result)
        continue
      }
      let bitSize = clang_Cursor_isBitField(cursor) != 0 ? Int(clang_getFieldDeclBitWidth(cursor)) : 0
      result.append(RecordField(name: name, offset: bits / 8, type: fieldType, bitSize: bitSize,
                                bitOffset: bitSize > 0 ? bits % 8 : 0))
    }
  }

  private func string(_ s: CXString) -> String {
    defer { clang_disposeString(s) }
    guard let c = clang_getCString(s) else { return "" }
    return String(cString: c)
  }
}
