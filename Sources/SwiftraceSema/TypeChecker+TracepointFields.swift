import SwiftraceBasics

/// The C types of tracepoint fields, read from their declarations in the format file, as bpftrace
/// reads them (it hands the format to clang): `const char *const * argv` is a pointer to pointers,
/// `unsigned long args[6]` an array, `struct sockaddr * addr` a pointer to a struct.
extension TypeChecker {
  func tracepointFieldType(_ field: TracepointFormat.Field, at range: SourceRange) -> SType? {
    switch field.kind {
    case .charArray(let n): return .string(size: n)
    case .dataLocString: return .string(size: options.stringLength)
    case .array(let count):
      let elementBytes = field.size / max(1, count)
      let element = cType(of: field.cType, valueBytes: elementBytes, signed: true)
      guard case .integer = element, [1, 2, 4, 8].contains(elementBytes) else {
        error(.unreadableArrayField(field.name, of: element), at: range)
        return nil
      }
      // The format file's size is the truth for the element, whatever the name resolved to.
      let signed = { if case .integer(_, let s) = element { return s } else { return false } }()
      return .array(.integer(signed: signed, bits: elementBytes * 8), count: count)
    case .integer(let signed):
      // `enum skb_drop_reason reason`: a value of the enum, printed by name (newer syntax).
      let words = field.cType.split(separator: " ")
      if options.newerValues, words.count == 2, words[0] == "enum", let type = kernelTypes?.enumeration(named: String(words[1])) {
        return .symbol(.enumName(type))
      }
      let c = cType(of: field.cType, valueBytes: field.size, signed: signed)
      if case .pointer(let target) = c { return .pointer(target, space: current.kind.argumentAddressSpace) }
      return .integer(signed: signed, bits: min(max(field.size, 1), 8) * 8)
    }
  }

  /// The C type a declaration's type part names: `const char *const *`, `struct file *`, `u32`.
  /// `valueBytes` and `signed` (from the format file) type what no name resolves.
  func cType(of declaration: String, valueBytes: Int, signed: Bool) -> CType {
    let pointers = declaration.filter { $0 == "*" }.count
    let words = declaration.split(whereSeparator: { $0 == " " || $0 == "*" })
      .map(String.init)
      .filter { !["const", "volatile", "__user", "__rcu", "__iomem", "__percpu", "restrict"].contains($0) }
    var base: CType
    if words.count == 2, words[0] == "struct" || words[0] == "union" {
      base = kernelTypes?.record(named: words[1], isUnion: words[0] == "union").map { .record($0) } ?? .void
    } else if let builtin = Self.builtinCType(words) {
      base = builtin
    } else if words.count == 1, let named = kernelTypes?.typedef(named: words[0]) {
      base = named
    } else {
      base = pointers == 0 ? .integer(bytes: valueBytes, signed: signed) : .void
    }
    for _ in 0..<pointers { base = .pointer(base) }
    return base
  }

  /// C's own type names: `char`, `unsigned short`, `long long`, `_Bool`, `void`.
  static func builtinCType(_ words: [String]) -> CType? {
    let known: Set<String> = ["signed", "unsigned", "char", "short", "int", "long", "_Bool", "bool", "void"]
    guard !words.isEmpty, words.allSatisfy(known.contains) else { return nil }
    if words == ["void"] { return .void }
    let unsigned = words.contains("unsigned")
    if words.contains("_Bool") || words.contains("bool") { return .integer(bytes: 1, signed: false) }
    if words.contains("char") { return .integer(bytes: 1, signed: !unsigned) }
    if words.contains("short") { return .integer(bytes: 2, signed: !unsigned) }
    if words.contains("long") { return .integer(bytes: 8, signed: !unsigned) }
    return .integer(bytes: 4, signed: !unsigned)
  }
}
