import CLibDW
import SwiftraceSema

/// Struct types and function parameters from the DWARF of user binaries (uprobe targets), read
/// with elfutils: libdwfl opens the binary and finds its separate debug file by build id or
/// debuglink, libdw walks the DIEs. As a type catalog it sits between a script's C definitions
/// and the kernel's BTF: `(struct Foo *)arg0` in a uprobe finds the binary's `struct Foo`.
public final class DwarfTypes: KernelTypeCatalog, UserDebugInfo {
  /// Record ids of DWARF types: above BTF's (positive, small) and C definitions' (negative).
  static let idBase = RecordRef.userRecordIDBase

  private let fallback: KernelTypeCatalog?
  private var binaries: [String: Binary?] = [:]
  /// Binaries in the order the script uses them: the first that defines a struct name wins.
  private var used: [Binary] = []
  private var records: [Int: (ref: RecordRef, die: Dwarf_Die, binary: Binary)] = [:]
  private var recordIDs: [RecordKey: Int] = [:]
  private var fieldCache: [Int: [RecordField]] = [:]

  struct RecordKey: Hashable {
    let binary: ObjectIdentifier
    let offset: UInt64
  }

  public init(fallback: KernelTypeCatalog?) {
    self.fallback = fallback
  }

  // MARK: UserDebugInfo

  public func use(_ path: String) {
    if let binary = open(path), !used.contains(where: { $0 === binary }) { used.append(binary) }
  }

  public func parameters(of function: String, in path: String) -> [(name: String, type: CType)]? {
    guard let binary = open(path), var die = binary.function(named: function) else { return nil }
    return DIE.children(of: &die, tag: DW_TAG_formal_parameter).map { p in
      var p = p
      return (DIE.name(&p) ?? "", DIE.type(of: &p).map { ctype($0, in: binary) } ?? .unsupported("no type"))
    }
  }

  /// `int* n`, `struct Foo* foo1`: the parameters as bpftrace's `-lv` lists them; nil without DWARF.
  public func parameterDeclarations(of function: String, in path: String) -> [String]? {
    guard let binary = open(path), var die = binary.function(named: function) else { return nil }
    return DIE.children(of: &die, tag: DW_TAG_formal_parameter).map { p in
      var p = p
      return (DIE.type(of: &p).map(DIE.typeName) ?? "void") + " " + (DIE.name(&p) ?? "")
    }
  }

  private func open(_ path: String) -> Binary? {
    if let known = binaries[path] { return known }
    let binary = Binary(path: path)
    binaries.updateValue(binary, forKey: path)  // a nil too: a file without DWARF is opened once
    return binary
  }

  // MARK: Types

  /// Bounds on what DWARF may say: nesting of types and anonymous members, offsets in a record
  /// and the size of an array (so that no sum or product of them can overflow).
  static let maxDepth = 64
  static let maxOffset: Dwarf_Word = 1 << 32

  /// A DWARF type as a C type; typedefs and qualifiers are looked through. DWARF comes from files
  /// anyone can write: sizes, counts and offsets are checked, and a type that refers to itself
  /// (other than through a struct) ends at `maxDepth`.
  func ctype(_ die: Dwarf_Die, in binary: Binary, depth: Int = 0) -> CType {
    var die = die
    var t = Dwarf_Die()
    guard depth < Self.maxDepth else { return .unsupported("a type nested too deeply") }
    guard dwarf_peel_type(&die, &t) == 0 else { return .unsupported("unreadable type") }
    switch Int(dwarf_tag(&t)) {
    case DW_TAG_base_type:
      let size = Int(dwarf_bytesize(&t))
      guard [1, 2, 4, 8].contains(size) else { return .unsupported(DIE.name(&t) ?? "an integer of \(size) bytes") }
      var encoding: Dwarf_Word = 0
      _ = swr_dwarf_udata(&t, UInt32(DW_AT_encoding), &encoding)
      switch Int(encoding) {
      case DW_ATE_signed, DW_ATE_signed_char: return .integer(bytes: size, signed: true)
      case DW_ATE_unsigned, DW_ATE_unsigned_char, DW_ATE_boolean: return .integer(bytes: size, signed: false)
      default: return .unsupported(DIE.name(&t) ?? "a floating-point type")
      }
    case DW_TAG_enumeration_type:
      let size = Int(dwarf_bytesize(&t))
      return .integer(bytes: [1, 2, 4, 8].contains(size) ? size : 4, signed: false)
    case DW_TAG_pointer_type, DW_TAG_reference_type, DW_TAG_rvalue_reference_type:
      guard let pointee = DIE.type(of: &t) else { return .pointer(.void) }
      return .pointer(ctype(pointee, in: binary, depth: depth + 1))
    case DW_TAG_structure_type, DW_TAG_class_type, DW_TAG_union_type:
      return record(for: t, in: binary).map { .record($0) } ?? .unsupported("incomplete \(DIE.typeName(t))")
    case DW_TAG_array_type:
      guard let element = DIE.type(of: &t) else { return .unsupported("array") }
      var result = ctype(element, in: binary, depth: depth + 1)
      for var range in DIE.children(of: &t, tag: DW_TAG_subrange_type).reversed() {
        var count: Dwarf_Word = 0
        if swr_dwarf_udata(&range, UInt32(DW_AT_count), &count) != 0 {
          var upper: Dwarf_Word = 0
          count = swr_dwarf_udata(&range, UInt32(DW_AT_upper_bound), &upper) == 0 ? upper &+ 1 : 0
        }
        let (bytes, overflow) = result.size.multipliedReportingOverflow(by: Int(min(count, Self.maxOffset)))
        guard count <= Self.maxOffset, !overflow, bytes <= Int(Self.maxOffset) else {
          return .unsupported("an array of \(count) elements")
        }
        result = .array(result, count: Int(count))
      }
      return result
    default:
      return .unsupported(DIE.typeName(t))
    }
  }

  /// The record a struct, class or union DIE stands for; a declaration finds its definition.
  private func record(for die: Dwarf_Die, in binary: Binary) -> RecordRef? {
    var die = die
    if dwarf_hasattr(&die, UInt32(DW_AT_declaration)) != 0 {
      guard let name = DIE.name(&die), let definition = binary.definition(named: name, tag: Int(dwarf_tag(&die))) else {
        return nil
      }
      die = definition
    }
    let key = RecordKey(binary: ObjectIdentifier(binary), offset: UInt64(dwarf_dieoffset(&die)))
    if let id = recordIDs[key], let known = records[id] { return known.ref }
    let id = Self.idBase + records.count
    let ref = RecordRef(name: DIE.name(&die) ?? "", isUnion: Int(dwarf_tag(&die)) == DW_TAG_union_type, id: id,
                        size: max(0, Int(dwarf_bytesize(&die))))
    recordIDs[key] = id
    records[id] = (ref, die, binary)
    return ref
  }

  private func collectFields(of die: Dwarf_Die, in binary: Binary, base: Int, depth: Int = 0,
                             into result: inout [RecordField]) {
    guard depth < Self.maxDepth else { return }
    var die = die
    for var member in DIE.children(of: &die, tag: DW_TAG_member) {
      var location: Dwarf_Word = 0
      var bitOffset: Dwarf_Word = 0
      var byteOffset = base
      if swr_dwarf_udata(&member, UInt32(DW_AT_data_member_location), &location) == 0 {
        guard location <= Self.maxOffset else { continue }
        byteOffset += Int(location)
      }
      let bitSize = dwarf_hasattr(&member, UInt32(DW_AT_bit_size)) != 0 ? Int(dwarf_bitsize(&member)) : 0
      guard bitSize >= 0 && bitSize <= 64 else { continue }
      var bitInByte = 0
      if bitSize > 0, swr_dwarf_udata(&member, UInt32(DW_AT_data_bit_offset), &bitOffset) == 0 {
        guard bitOffset <= Self.maxOffset * 8 else { continue }
        byteOffset = base + Int(bitOffset) / 8
        bitInByte = Int(bitOffset) % 8
      }
      guard byteOffset <= Self.maxOffset, let typeDie = DIE.type(of: &member) else { continue }
      guard let name = DIE.name(&member) else {
        // An anonymous struct or union: its members belong to this record, as in C.
        var inner = Dwarf_Die()
        var peeled = typeDie
        if dwarf_peel_type(&peeled, &inner) == 0 {
          collectFields(of: inner, in: binary, base: byteOffset, depth: depth + 1, into: &result)
        }
        continue
      }
      result.append(RecordField(name: name, offset: byteOffset, type: ctype(typeDie, in: binary),
                                bitSize: bitSize, bitOffset: bitInByte))
    }
  }

  // MARK: KernelTypeCatalog

  public func record(named name: String, isUnion: Bool) -> RecordRef? {
    let tags = isUnion ? [DW_TAG_union_type] : [DW_TAG_structure_type, DW_TAG_class_type]
    for binary in used {
      for tag in tags {
        if let die = binary.definition(named: name, tag: tag), let r = record(for: die, in: binary) { return r }
      }
    }
    return fallback?.record(named: name, isUnion: isUnion)
  }

  public func fields(of record: RecordRef) -> [RecordField] {
    guard record.id >= Self.idBase else { return fallback?.fields(of: record) ?? [] }
    if let cached = fieldCache[record.id] { return cached }
    guard let known = records[record.id] else { return [] }
    var result: [RecordField] = []
    collectFields(of: known.die, in: known.binary, base: 0, into: &result)
    fieldCache[record.id] = result
    return result
  }

  public func recordNames() -> [String] {
    used.flatMap(\.recordNames) + (fallback?.recordNames() ?? [])
  }

  public func constant(named name: String) -> Int64? { fallback?.constant(named: name) }
  public func enumeration(ofConstant name: String) -> EnumType? { fallback?.enumeration(ofConstant: name) }
  public func enumeration(named name: String) -> EnumType? { fallback?.enumeration(named: name) }

  public func rawTracepointArguments(_ event: String) -> [(name: String, type: CType)]? {
    fallback?.rawTracepointArguments(event)
  }

  public func rawTracepointNames() -> [String] { fallback?.rawTracepointNames() ?? [] }

  public func functionPrototype(_ name: String) -> (arguments: [(name: String, type: CType)], returnType: CType)? {
    fallback?.functionPrototype(name)
  }

  public func variable(named name: String) -> CType? { fallback?.variable(named: name) }
  public func typedef(named name: String) -> CType? { fallback?.typedef(named: name) }

  public func cDefinitions(ofRecords records: [(name: String, isUnion: Bool)]) -> String? {
    fallback?.cDefinitions(ofRecords: records)
  }
}
