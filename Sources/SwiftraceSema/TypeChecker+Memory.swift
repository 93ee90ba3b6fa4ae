import SwiftraceBasics
import SwiftraceSyntax

/// Pointers and structs: `curtask`, `(struct task_struct *)p`, `p->field`, `s.field`, `*p`, `p[i]`.
/// Struct layouts come from the `KernelTypeCatalog` (the kernel's BTF), so no headers are needed.
extension TypeChecker {
  /// The expression type of a value of C type `c` read from memory.
  func valueType(of c: CType, space: AddressSpace, at range: SourceRange) -> SType? {
    switch c {
    case .integer(let bytes, let signed): return .integer(signed: signed, bits: min(bytes, 8) * 8)
    case .pointer(let target): return .pointer(target, space: space)
    case .record(let r): return .record(r, space: space)
    case .array where c.isCharArray:
      guard case .array(_, let n) = c else { return nil }
      return .string(size: n)
    case .array(let element, let count):
      // An array of integers (or of such arrays) is a value, as in bpftrace; an array of structs or
      // pointers decays to a pointer to its first element, as in C.
      if let elementType = arrayElementType(element) { return .array(elementType, count: count) }
      return .pointer(element, space: space)
    case .void, .unsupported:
      error(.unreadableType(c), at: range)
      return nil
    }
  }

  func checkMemberAccess(base: Expr, baseType: SType, name: String, arrow: Bool, _ e: Expr) -> SType? {
    let record: RecordRef, space: AddressSpace
    switch baseType {
    case .structValue(let layout) where layout.record.id == RecordRef.scriptRecordID:
      // A record the script made: its fields are its layout's (no catalog has the type).
      guard let field = layout.fields.first(where: { $0.name == name }) else {
        let hint = closestName(to: name, in: layout.fields.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
        error(.unknownField(layout.record, name, hint: hint), at: e.range)
        return nil
      }
      memberFields[e.id] = field.field
      return field.type
    case .structValue(let layout):
      // A copy in the program's memory: its fields are read from there.
      (record, space) = (layout.record, .kernel)
    case .pointer(.record(let r), let u):
      // `p.field` on a pointer is accepted too (newer bpftrace dereferences automatically).
      (record, space) = (r, u)
    case .record(let r, let u):
      if arrow {
        error(.arrowOnRecord(baseType), at: base.range)
        return nil
      }
      (record, space) = (r, u)
    default:
      error(.fieldAccess(arrow ? "->" : ".", name, on: baseType), at: base.range)
      return nil
    }
    guard let catalog = kernelTypes else { return nil }
    let fields = catalog.fields(of: record)
    guard let field = fields.first(where: { $0.name == name }) else {
      let hint = closestName(to: name, in: fields.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
      error(.unknownField(record, name, hint: hint), at: e.range)
      return nil
    }
    memberFields[e.id] = field
    if case .structValue = baseType {} else if KernelFieldAccess.isRelocatable(field, of: record) {
      kernelFieldAccesses[e.id] = KernelFieldAccess(record: record, field: field, range: e.range)
    }
    return valueType(of: field.type, space: space, at: e.range)
  }

  /// The type a value takes when it is stored (in a variable, a map, a tuple, an event): a struct
  /// in memory becomes a copy of its bytes, if it fits on the BPF stack with room to spare.
  func stored(_ t: SType, at range: SourceRange) -> SType? {
    switch t {
    case .record(let r, _):
      guard r.size <= Self.largestStructValue else {
        error(.structTooLarge(r, bytes: r.size, limit: Self.largestStructValue), at: range)
        return nil
      }
      return .structValue(structLayout(r))
    case .tuple(let elements):
      var result: [SType] = []
      for element in elements {
        guard let s = stored(element, at: range) else { return nil }
        result.append(s)
      }
      return .tuple(result)
    case .tracepointArgs:
      return tracepointRecord(at: range)
    default: return t
    }
  }

  /// `args` of a tracepoint as a whole value (print(args), bpftrace 0.20 and later): its record's
  /// fields after the common ones, at their offsets (`__data_loc` strings, which point elsewhere
  /// in the record, are left out).
  func tracepointRecord(at range: SourceRange) -> SType? {
    if let raw = current.rawArguments { return argumentsRecord(raw, at: range) }
    guard let format = current.tracepointFormat else {
      error(.argsAsValue(current.name), at: range)
      return nil
    }
    var fields: [StructLayout.Field] = []
    for f in format.fields where !f.name.hasPrefix("common_") {
      noteTracepointField(f, at: range)
      let type: CType, value: SType
      switch f.kind {
      case .integer(let signed) where [1, 2, 4, 8].contains(f.size):
        // The declared C type's width, as `args.field` reads it (`int dfd` in 8 bytes is an int).
        var bytes = f.size, isSigned = signed
        if case .integer(let b, let s) = cType(of: f.cType, valueBytes: f.size, signed: signed), b <= f.size { (bytes, isSigned) = (b, s) }
        (type, value) = (.integer(bytes: bytes, signed: isSigned), .integer(signed: isSigned, bits: bytes * 8))
      case .charArray(let n):
        (type, value) = (.array(.integer(bytes: 1, signed: true), count: n), .string(size: n))
      case .array(let count) where count > 0 && [1, 2, 4, 8].contains(f.size / count):
        let bytes = f.size / count
        (type, value) = (.array(.integer(bytes: bytes, signed: false), count: count),
                         .array(.integer(signed: false, bits: bytes * 8), count: count))
      default:
        continue
      }
      fields.append(StructLayout.Field(name: f.name, field: RecordField(name: f.name, offset: f.offset, type: type), type: value))
    }
    let size = format.fields.map { $0.offset + $0.size }.max() ?? 0
    let record = RecordRef(name: "args", isUnion: false, id: RecordRef.scriptRecordID, size: size)
    guard size <= Self.largestStructValue else {
      error(.structTooLarge(record, bytes: size, limit: Self.largestStructValue), at: range)
      return nil
    }
    return .structValue(StructLayout(record: record, fields: fields))
  }

  /// `args` of a uprobe, kfunc or raw tracepoint as a whole value: each argument a field at its
  /// place in the probe's context (a uprobe's register in pt_regs, else its u64 slot), at its C
  /// type's width, so the context's bytes copied are the record. Arguments a script cannot hold
  /// (structs passed by value, a uprobe's past the six registers) are left out.
  func argumentsRecord(_ raw: [(name: String, type: CType)], at range: SourceRange) -> SType? {
    let isUprobe: Bool
    if case .uprobe = current.kind { isUprobe = true } else { isUprobe = false }
    var fields: [StructLayout.Field] = []
    for (index, argument) in raw.enumerated() where !argument.name.isEmpty {
      if isUprobe && index >= Registers.argumentOffsets.count { break }
      let offset = isUprobe ? Registers.argumentOffsets[index] : 8 * index
      let type: SType
      switch argument.type {
      case .integer(let bytes, let signed) where [1, 2, 4, 8].contains(bytes): type = .integer(signed: signed, bits: bytes * 8)
      case .pointer(let target): type = .pointer(target, space: isUprobe ? .user : .kernel)
      default: continue
      }
      fields.append(StructLayout.Field(name: argument.name, field: RecordField(name: argument.name, offset: offset, type: argument.type),
                                       type: type))
    }
    let size = isUprobe ? 8 * Registers.names.count : 8 * raw.count
    return .structValue(StructLayout(record: RecordRef(name: "args", isUnion: false, id: RecordRef.scriptRecordID, size: size),
                                     fields: fields))
  }

  static let largestStructValue = 256

  func structLayout(_ r: RecordRef, depth: Int = 0) -> StructLayout {
    var fields: [StructLayout.Field] = []
    for f in kernelTypes?.fields(of: r) ?? [] {
      let type: SType?
      switch f.type {
      case .record(let inner) where depth < 8: type = .structValue(structLayout(inner, depth: depth + 1))
      case .integer(let bytes, let signed) where [1, 2, 4, 8].contains(bytes) || f.bitSize > 0:
        type = .integer(signed: signed, bits: min(8, bytes) * 8)
      case .pointer(let target): type = .pointer(target, space: .kernel)
      case .array(let element, let n) where f.type.isCharArray: type = element.size == 1 ? .string(size: n) : nil
      case .array(let element, let n): type = arrayElementType(element).map { .array($0, count: n) }
      default: type = nil
      }
      if let type { fields.append(StructLayout.Field(name: f.name, field: f, type: type)) }
    }
    return StructLayout(record: r, fields: fields)
  }

  func checkDereference(_ operand: Expr, _ e: Expr) -> SType? {
    guard let t = check(operand) else { return nil }
    guard case .pointer(let target, let space) = t else {
      error(.dereference(t), at: operand.range)
      return nil
    }
    return valueType(of: target, space: space, at: e.range)
  }

  /// The value type of an array's elements when the array can be a value: integers, and arrays
  /// of them (not char arrays, which are strings).
  func arrayElementType(_ c: CType) -> SType? {
    switch c {
    case .integer(let bytes, let signed) where [1, 2, 4, 8].contains(bytes): return .integer(signed: signed, bits: bytes * 8)
    case .array(let element, let count) where !c.isCharArray:
      return arrayElementType(element).map { .array($0, count: count) }
    default: return nil
    }
  }

  func checkIndex(_ base: Expr, _ index: Expr, _ e: Expr) -> SType? {
    guard var t = check(base), let i = check(index) else { return nil }
    // `$t[0]` (bpftrace 0.24 and later): a tuple's element, as `$t.0`; the index is a literal.
    if case .tuple(let elements) = t {
      guard let n = compileTimeInteger(index), n >= 0 else {
        error(.tupleIndexNotLiteral, at: index.range)
        return nil
      }
      guard n < Int64(elements.count) else {
        error(.tupleIndex(Int(n), t, count: elements.count), at: index.range)
        return nil
      }
      e.kind = .tupleIndex(base, Int(n))  // code generation reads it as `$t.N`
      return elements[Int(n)]
    }
    // `$s[0]` (bpftrace 0.24 and later): a string's bytes are an array of int8.
    if case .string(let size) = t { t = .array(.integer(signed: true, bits: 8), count: size) }
    if case .array(let element, let count) = t {
      guard i.isInteger else {
        error(.indexNotInteger(i), at: index.range)
        return nil
      }
      if case .integer(let n) = index.kind, n >= UInt64(count) {
        error(.indexOutOfBounds(n, size: count), at: index.range)
        return nil
      }
      return element
    }
    guard case .pointer(let target, let space) = t else {
      error(.notIndexable(t), at: base.range)
      return nil
    }
    guard i.isInteger else {
      error(.indexNotInteger(i), at: index.range)
      return nil
    }
    return valueType(of: target, space: space, at: e.range)
  }

  func checkPointerCast(_ pointee: TypeName, depth: Int, _ operand: Expr, _ e: Expr) -> SType? {
    guard let t = check(operand) else { return nil }
    guard t.isIntegerLike else {
      error(.cannotCastToPointer(t), at: operand.range)
      return nil
    }
    var c: CType
    switch pointee {
    case .void: c = .void
    case .integer(let integer): c = .integer(bytes: integer.bits / 8, signed: integer.signed)
    case .record(let name, let isUnion):
      guard let record = lookupRecord(name, isUnion: isUnion, at: e.range) else { return nil }
      c = .record(record)
    case .parameter(let name):
      error(.unexpandedTypeParameter(name), at: e.range)
      return nil
    }
    for _ in 0..<depth { c = .pointer(c) }
    guard case .pointer(let target) = c else { return nil }
    let space: AddressSpace
    if case .pointer(_, let s) = t { space = s } else { space = current.kind.argumentAddressSpace }
    return .pointer(target, space: space)
  }

  func lookupRecord(_ name: String, isUnion: Bool, at range: SourceRange) -> RecordRef? {
    let kind = isUnion ? "union" : "struct"
    guard let catalog = kernelTypes else {
      error(.noKernelTypes(kind, name), at: range)
      return nil
    }
    guard let record = catalog.record(named: name, isUnion: isUnion) else {
      let hint = closestName(to: name, in: catalog.recordNames()).map { "; did you mean '\(kind) \($0)'?" } ?? ""
      error(.unknownType(kind, name, hint: hint), at: range)
      return nil
    }
    return record
  }

  /// `sizeof(type)` and `offsetof(struct s, field)`: constants of type uint64.
  func checkTypeQuery(_ type: TypeName, field: String?, _ e: Expr) -> SType? {
    switch type {
    case .parameter(let name):
      error(.unexpandedTypeParameter(name), at: e.range)
      return nil
    case .void:
      error(.voidHasNoSize, at: e.range)
      return nil
    case .integer(let t):
      guard field == nil else {
        error(.offsetofNeedsRecord(t), at: e.range)
        return nil
      }
      constants[e.id] = UInt64(t.bits / 8)
    case .record(let name, let isUnion):
      guard let record = lookupRecord(name, isUnion: isUnion, at: e.range) else { return nil }
      guard let field else {
        constants[e.id] = UInt64(record.size)
        return .uint64
      }
      // `a.b.c`: each name a field of the struct (or union) the one before it is.
      var inner = record, offset = 0
      let path = field.split(separator: ".").map(String.init)
      for (i, name) in path.enumerated() {
        guard let f = kernelTypes?.fields(of: inner).first(where: { $0.name == name }) else {
          let names = kernelTypes?.fields(of: inner).map(\.name) ?? []
          let hint = closestName(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
          error(.unknownField(inner, name, hint: hint), at: e.range)
          return nil
        }
        offset += f.offset
        if i + 1 < path.count {
          guard case .record(let next) = f.type else {
            error(.offsetofThroughNonRecord(name, f.type), at: e.range)
            return nil
          }
          inner = next
        }
      }
      constants[e.id] = UInt64(offset)
    }
    return .uint64
  }

  /// `sizeof(expression)`: the bytes the value occupies (as bpftrace counts them).
  func checkSizeofExpression(_ args: [Expr], _ e: Expr) -> SType? {
    // `sizeof(typeof(x))` (bpftrace 0.22 and later) measures what `sizeof(x)` does.
    if args.count == 1, case .call("typeof", let inner) = args[0].kind, inner.count == 1 {
      return checkSizeofExpression(inner, e)
    }
    guard args.count == 1, let t = check(args[0]) else { return nil }
    // A field has its C size (`sizeof(s.c)` of a char is 1), not the 8 bytes a value takes.
    if let field = memberFields[args[0].id], field.type.size > 0 {
      constants[e.id] = UInt64(field.type.size)
      return .uint64
    }
    switch t {
    case .string(let n): constants[e.id] = UInt64(n)
    case .array, .structValue, .tuple: constants[e.id] = UInt64(t.byteSize)
    case .record(let r, _): constants[e.id] = UInt64(r.size)
    // An integer's own width (0.17: sizeof of an int8 variable is 1), though values travel as 8 bytes.
    case .integer(_, let bits): constants[e.id] = UInt64(bits / 8)
    case .bool: constants[e.id] = 1
    case .none, .tracepointArgs:
      error(.sizeofCannotMeasure(t), at: args[0].range)
      return nil
    default: constants[e.id] = UInt64(t.storageSize)
    }
    return .uint64
  }

  /// `p + n`, `p - n` (scaled by the pointee's size) and `p - q` (a difference in elements).
  func pointerArithmetic(_ op: BinaryOperator, _ l: SType, _ r: SType, _ e: Expr) -> SType? {
    switch (op, l, r) {
    case (.add, .pointer, .integer), (.subtract, .pointer, .integer): return l
    case (.add, .integer, .pointer): return r
    case (.subtract, .pointer, .pointer): return .int64
    default:
      if op.isComparison || op.isLogical { return .uint64 }
      error(.operatorOperands(op.spelling, l, r), at: e.range)
      return nil
    }
  }

  /// `(name = value, ...)`: a struct of the script's own, its fields in the order written at their
  /// C alignment (integers at their width, strings as char arrays), printed as a struct value is.
  func checkRecord(_ names: [String], _ values: [Expr], _ e: Expr) -> SType? {
    var fields: [StructLayout.Field] = []
    var offset = 0
    for (name, value) in zip(names, values) {
      guard let t = check(value).flatMap({ stored($0, at: value.range) }) else { return nil }
      if fields.contains(where: { $0.name == name }) {
        error(.recordFieldTwice(name), at: value.range)
        return nil
      }
      let type: CType, size: Int, alignment: Int
      switch t {
      case .integer(let signed, let bits):
        (type, size, alignment) = (.integer(bytes: bits / 8, signed: signed), bits / 8, bits / 8)
      case .string(let n):
        (type, size, alignment) = (.array(.integer(bytes: 1, signed: true), count: n), n, 1)
      case .bool:
        (type, size, alignment) = (.integer(bytes: 8, signed: false), 8, 8)  // as tuples hold it
      default:
        error(.recordField(name, t), at: value.range)
        return nil
      }
      offset = (offset + alignment - 1) / alignment * alignment
      fields.append(StructLayout.Field(name: name, field: RecordField(name: name, offset: offset, type: type), type: t))
      offset += size
    }
    let record = RecordRef(name: "(" + names.joined(separator: ", ") + ")", isUnion: false, id: RecordRef.scriptRecordID,
                           size: max(1, (offset + 7) / 8 * 8))
    return .structValue(StructLayout(record: record, fields: fields))
  }

  /// `&$x`: a kernel pointer to the variable's storage (the BPF stack or per-CPU map memory),
  /// typed by what the variable holds; `*p` and `p[i]` read it back.
  func checkAddressOf(_ operand: Expr) -> SType? {
    // `&@m`: the kernel's struct bpf_map of a whole map (bpftrace 0.22 and later types it as a
    // pointer to the map's value, which it is not).
    if case .map(let name, let keys) = operand.kind, keys.isEmpty {
      guard let info = assignedMap(name, at: operand.range) else { return nil }
      types[operand.id] = info.valueType
      guard let map = kernelTypes?.record(named: "bpf_map", isUnion: false) else { return .pointer(.void, space: .kernel) }
      return .pointer(.record(map), space: .kernel)
    }
    guard case .variable = operand.kind else {
      error(.addressOfNeedsVariable, at: operand.range)
      return nil
    }
    guard let t = check(operand) else { return nil }
    let pointee: CType
    switch t {
    case .integer(let signed, _): pointee = .integer(bytes: 8, signed: signed)
    case .bool: pointee = .integer(bytes: 8, signed: false)
    case .string(let n): pointee = .array(.integer(bytes: 1, signed: true), count: n)
    case .pointer(let c, _): pointee = .pointer(c)
    case .structValue(let layout) where layout.record.id != RecordRef.scriptRecordID: pointee = .record(layout.record)
    default:
      error(.addressOfType(t), at: operand.range)
      return nil
    }
    return .pointer(pointee, space: .kernel)
  }
}
