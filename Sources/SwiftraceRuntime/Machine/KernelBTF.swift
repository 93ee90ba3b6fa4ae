import CLibBPF
import SwiftraceSema

/// Struct layouts from the running kernel's BTF (/sys/kernel/btf/vmlinux), read with libbpf.
/// Loading takes a few milliseconds, so it happens on the first question, not at start-up.
public final class KernelBTF: KernelTypeCatalog {
  private var loaded = false
  private var btf: OpaquePointer?
  private var fieldCache: [Int: [RecordField]] = [:]

  /// Whether BPFTRACE_BTF may stand in for the running kernel's BTF: it does when compiling (the
  /// types a program is built against), never when checking what a loaded program found.
  private let honoursEnvironment: Bool

  public init() { honoursEnvironment = true }

  /// The types of the kernel this machine runs, which libbpf relocates programs against.
  public static func runningKernel() -> KernelBTF { KernelBTF(honoursEnvironment: false) }

  private init(honoursEnvironment: Bool) { self.honoursEnvironment = honoursEnvironment }

  deinit { if let btf { btf__free(btf) } }

  private func handle() -> OpaquePointer? {
    if !loaded {
      loaded = true
      // BPFTRACE_BTF names another BTF file (a kernel's vmlinux BTF saved elsewhere).
      if honoursEnvironment, let path = getenv("BPFTRACE_BTF").map({ String(cString: $0) }), !path.isEmpty {
        btf = btf__parse(path, nil)
      } else {
        btf = btf__load_vmlinux_btf()
      }
    }
    return btf
  }

  public var isAvailable: Bool { handle() != nil }

  /// The fields of ACCESSES this kernel lacks: those whose record or field (by name, as libbpf
  /// matches them) it does not have.
  public func missing(_ accesses: [KernelFieldAccess]) -> [KernelFieldAccess] {
    accesses.filter { access in
      guard let record = record(named: access.record.name, isUnion: access.record.isUnion) else { return true }
      return !fields(of: record).contains { $0.name == access.field.name }
    }
  }

  public func record(named name: String, isUnion: Bool) -> RecordRef? {
    guard let btf = handle() else { return nil }
    let id = btf__find_by_name_kind(btf, name, UInt32(isUnion ? BTF_KIND_UNION : BTF_KIND_STRUCT))
    guard id > 0, case .record(let r) = ctype(UInt32(id)) else { return nil }
    return r
  }

  /// `-l 'struct task*'`: the names of the structs, unions or enums (`keyword`) that match, sorted.
  public func typeNames(_ keyword: String, matching pattern: String) -> [String] {
    guard let btf = handle() else { return [] }
    let kinds: [Int]
    switch keyword {
    case "struct": kinds = [Int(BTF_KIND_STRUCT)]
    case "union": kinds = [Int(BTF_KIND_UNION)]
    case "enum": kinds = [Int(BTF_KIND_ENUM), 19]  // BTF_KIND_ENUM64
    default: return []
    }
    var names = Set<String>()
    for id in 1..<btf__type_cnt(btf) {
      guard let t = btf__type_by_id(btf, id), kinds.contains(Int(btf_kind(t))) else { continue }
      let name = String(cString: btf__name_by_offset(btf, t.pointee.name_off))
      if !name.isEmpty && wildcardMatch(pattern, name) { names.insert(name) }
    }
    return names.sorted()
  }

  /// `-lv 'struct path'`: the type's C definition alone, as libbpf writes it (what it depends on
  /// is left out).
  public func cDefinition(_ keyword: String, _ name: String) -> String? {
    guard let btf = handle() else { return nil }
    let kind = keyword == "union" ? BTF_KIND_UNION : keyword == "enum" ? BTF_KIND_ENUM : BTF_KIND_STRUCT
    var id = btf__find_by_name_kind(btf, name, UInt32(kind))
    if id <= 0 && keyword == "enum" { id = btf__find_by_name_kind(btf, name, 19) }  // BTF_KIND_ENUM64
    guard id > 0 else { return nil }
    var ids = [UInt32(id)]
    guard let text = swr_btf_dump_types(btf, &ids, 1) else { return nil }
    defer { free(text) }
    // The dump starts with what the type needs; its own definition is the block that opens
    // with `keyword name {` and ends with `};`.
    let lines = String(cString: text).split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(where: { $0.hasPrefix("\(keyword) \(name) {") }),
      let end = lines[start...].firstIndex(where: { $0.hasPrefix("}") }) else { return nil }
    return lines[start...end].joined(separator: "\n") + "\n"
  }

  public func cDefinitions(ofRecords records: [(name: String, isUnion: Bool)]) -> String? {
    guard let btf = handle() else { return nil }
    let ids: [UInt32] = records.compactMap { r in
      let id = btf__find_by_name_kind(btf, r.name, UInt32(r.isUnion ? BTF_KIND_UNION : BTF_KIND_STRUCT))
      return id > 0 ? UInt32(id) : nil
    }
    guard !ids.isEmpty, let text = swr_btf_dump_types(btf, ids, ids.count) else { return nil }
    defer { free(text) }
    return String(cString: text)
  }

  public func typedef(named name: String) -> CType? {
    guard let btf = handle() else { return nil }
    let id = btf__find_by_name_kind(btf, name, UInt32(BTF_KIND_TYPEDEF))
    return id > 0 ? ctype(UInt32(id)) : nil
  }

  public func fields(of record: RecordRef) -> [RecordField] {
    if let cached = fieldCache[record.id] { return cached }
    var result: [RecordField] = []
    collectFields(UInt32(record.id), baseBits: 0, into: &result)
    fieldCache[record.id] = result
    return result
  }

  /// Every raw tracepoint the kernel's BTF describes (its `btf_trace_EVENT` typedefs), sorted.
  public func rawTracepointNames() -> [String] {
    guard let btf = handle() else { return [] }
    var names: [String] = []
    for id in 1..<btf__type_cnt(btf) {
      guard let t = btf__type_by_id(btf, id), Int(btf_kind(t)) == BTF_KIND_TYPEDEF else { continue }
      let name = String(cString: btf__name_by_offset(btf, t.pointee.name_off))
      if name.hasPrefix("btf_trace_") { names.append(String(name.dropFirst(10))) }
    }
    return names.sorted()
  }

  public func rawTracepointArguments(_ event: String) -> [(name: String, type: CType)]? {
    guard let btf = handle() else { return nil }
    // btf_trace_EVENT: a pointer to the prototype (void *__data, args...), parameters unnamed.
    let typedef = btf__find_by_name_kind(btf, "btf_trace_\(event)", UInt32(BTF_KIND_TYPEDEF))
    guard typedef > 0, let t = btf__type_by_id(btf, UInt32(typedef)),
      let pointer = btf__type_by_id(btf, t.pointee.type), Int(btf_kind(pointer)) == BTF_KIND_PTR,
      let proto = btf__type_by_id(btf, pointer.pointee.type), Int(btf_kind(proto)) == BTF_KIND_FUNC_PROTO else { return nil }
    let params = btf_params(proto)!
    var names = [String](repeating: "", count: Int(btf_vlen(proto)))
    // __bpf_trace_EVENT, where the event has its own, names them.
    let function = btf__find_by_name_kind(btf, "__bpf_trace_\(event)", 12)  // BTF_KIND_FUNC (two headers define it)
    if function > 0, let f = btf__type_by_id(btf, UInt32(function)), let named = btf__type_by_id(btf, f.pointee.type),
      btf_vlen(named) == btf_vlen(proto) {
      let namedParams = btf_params(named)!
      for i in names.indices { names[i] = String(cString: btf__name_by_offset(btf, namedParams[i].name_off)) }
    }
    return (1..<Int(btf_vlen(proto))).map { (names[$0], ctype(params[$0].type)) }
  }

  public func functionPrototype(_ name: String) -> (arguments: [(name: String, type: CType)], returnType: CType)? {
    guard let btf = handle() else { return nil }
    let id = btf__find_by_name_kind(btf, name, 12)  // BTF_KIND_FUNC
    guard id > 0, let f = btf__type_by_id(btf, UInt32(id)), let proto = btf__type_by_id(btf, f.pointee.type),
      Int(btf_kind(proto)) == BTF_KIND_FUNC_PROTO else { return nil }
    let params = btf_params(proto)!
    let arguments = (0..<Int(btf_vlen(proto))).map {
      (String(cString: btf__name_by_offset(btf, params[$0].name_off)), ctype(params[$0].type))
    }
    return (arguments, proto.pointee.type == 0 ? .void : ctype(proto.pointee.type))
  }

  public func variable(named name: String) -> CType? {
    guard let btf = handle() else { return nil }
    let id = btf__find_by_name_kind(btf, name, 14)  // BTF_KIND_VAR
    guard id > 0, let v = btf__type_by_id(btf, UInt32(id)) else { return nil }
    return ctype(v.pointee.type)
  }

  private var enumValues: [String: Int64]?
  /// Every BTF enum by tag, and the enum of each constant (collected with enumValues).
  private var enumsByName: [String: EnumType] = [:]
  private var enumsByConstant: [String: EnumType] = [:]

  /// Enum values by name, from every BTF enum (collected on first use).
  public func constant(named name: String) -> Int64? {
    collectEnums()
    return enumValues?[name] ?? Self.kernelMacros[name]
  }

  public func enumeration(ofConstant name: String) -> EnumType? {
    collectEnums()
    return enumsByConstant[name]
  }

  public func enumeration(named name: String) -> EnumType? {
    collectEnums()
    return enumsByName[name]
  }

  private func collectEnums() {
    guard enumValues == nil else { return }
    var values: [String: Int64] = [:]
    if let btf = handle() {
      for id in 1..<btf__type_cnt(btf) {
        guard let t = btf__type_by_id(btf, id), Int(btf_kind(t)) == BTF_KIND_ENUM else { continue }
        let members = btf_enum(t)!
        var names: [Int64: String] = [:], constants: [String] = []
        for i in 0..<Int(btf_vlen(t)) {
          let name = String(cString: btf__name_by_offset(btf, members[i].name_off))
          values[name] = Int64(members[i].val)
          if names[Int64(members[i].val)] == nil { names[Int64(members[i].val)] = name }
          constants.append(name)
        }
        let tag = String(cString: btf__name_by_offset(btf, t.pointee.name_off))
        let type = EnumType(name: tag, names: names)
        if !tag.isEmpty, enumsByName[tag] == nil { enumsByName[tag] = type }
        for c in constants where enumsByConstant[c] == nil { enumsByConstant[c] = type }
      }
    }
    enumValues = values
  }

  /// Kernel `#define`s that scripts use but BTF cannot carry (macros are not types) and that no
  /// installed header provides; values from include/linux/sched.h, stable for many years.
  static let kernelMacros: [String: Int64] = [
    "TASK_RUNNING": 0x0000, "TASK_INTERRUPTIBLE": 0x0001, "TASK_UNINTERRUPTIBLE": 0x0002,
    "__TASK_STOPPED": 0x0004, "__TASK_TRACED": 0x0008, "EXIT_DEAD": 0x0010, "EXIT_ZOMBIE": 0x0020,
    "TASK_PARKED": 0x0040, "TASK_DEAD": 0x0080, "TASK_WAKEKILL": 0x0100, "TASK_WAKING": 0x0200,
    "TASK_NOLOAD": 0x0400, "TASK_NEW": 0x0800,
  ]

  public func recordNames() -> [String] {
    guard let btf = handle() else { return [] }
    var names: [String] = []
    for id in 1..<btf__type_cnt(btf) {
      guard let t = btf__type_by_id(btf, id), btf_kind(t) == UInt16(BTF_KIND_STRUCT) else { continue }
      let name = String(cString: btf__name_by_offset(btf, t.pointee.name_off))
      if !name.isEmpty { names.append(name) }
    }
    return names
  }

  /// Members of a struct or union; anonymous inner records are flattened into their parent.
  private func collectFields(_ id: UInt32, baseBits: Int, into result: inout [RecordField]) {
    guard let btf = handle(), let t = btf__type_by_id(btf, id) else { return }
    let members = btf_members(t)!
    for i in 0..<Int(btf_vlen(t)) {
      let member = members[i]
      let name = String(cString: btf__name_by_offset(btf, member.name_off))
      let bits = baseBits + Int(btf_member_bit_offset(t, UInt32(i)))
      let bitSize = Int(btf_member_bitfield_size(t, UInt32(i)))
      let type = ctype(member.type)
      if name.isEmpty, case .record(let inner) = type {
        collectFields(UInt32(inner.id), baseBits: bits, into: &result)
        continue
      }
      result.append(RecordField(name: name, offset: bits / 8, type: type, bitSize: bitSize,
                                bitOffset: bitSize > 0 ? bits % 8 : 0))
    }
  }

  /// The C type of a BTF type id; typedefs and qualifiers are looked through.
  func ctype(_ id: UInt32) -> CType {
    guard id != 0 else { return .void }
    guard let btf = handle(), let t = btf__type_by_id(btf, id) else { return .unsupported("?") }
    switch Int(btf_kind(t)) {
    case BTF_KIND_INT:
      // `char` is signed on x86 (BTF marks it a character, not signed): its arrays are strings.
      let signed = (Int32(btf_int_encoding(t)) & BTF_INT_SIGNED) != 0
        || String(cString: btf__name_by_offset(btf, t.pointee.name_off)) == "char"
      return .integer(bytes: Int(t.pointee.size), signed: signed)
    case BTF_KIND_ENUM:
      return .integer(bytes: Int(t.pointee.size), signed: true)
    case BTF_KIND_PTR:
      return .pointer(ctype(t.pointee.type))
    case BTF_KIND_TYPEDEF, BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
      return ctype(t.pointee.type)
    case BTF_KIND_STRUCT, BTF_KIND_UNION:
      let name = String(cString: btf__name_by_offset(btf, t.pointee.name_off))
      return .record(RecordRef(name: name, isUnion: Int(btf_kind(t)) == BTF_KIND_UNION, id: Int(id),
                               size: Int(t.pointee.size)))
    case BTF_KIND_ARRAY:
      let array = btf_array(t)!.pointee
      return .array(ctype(array.type), count: Int(array.nelems))
    default:
      return .unsupported("BTF kind \(btf_kind(t))")
    }
  }
}
