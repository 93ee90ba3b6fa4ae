import SwiftraceBasics
/// C types of kernel (or user) memory, as BTF describes them. Records are referenced, not expanded:
/// their fields are asked of the catalog when a script touches them.
public indirect enum CType: Codable, Hashable, Sendable, CustomStringConvertible {
  case void
  case integer(bytes: Int, signed: Bool)
  case pointer(CType)
  case array(CType, count: Int)
  case record(RecordRef)
  /// Functions, floats and anything else a script cannot read.
  case unsupported(String)

  public var description: String {
    switch self {
    case .void: return "void"
    case .integer(let bytes, let signed): return "\(signed ? "" : "u")int\(bytes * 8)"
    case .pointer(let t): return "\(t) *"
    case .array(let t, let n): return "\(t)[\(n)]"
    case .record(let r): return r.description
    case .unsupported(let s): return s
    }
  }

  /// Bytes the type occupies; 0 when unknown.
  public var size: Int {
    switch self {
    case .void, .unsupported: return 0
    case .integer(let bytes, _): return bytes
    case .pointer: return 8
    case .array(let t, let n): return t.size * n
    case .record(let r): return r.size
    }
  }

  /// `char` arrays read as strings; `unsigned char` (`__u8`) arrays are arrays of integers, as in
  /// bpftrace. (`char` is signed on x86, in C definitions and in the kernel's BTF alike.)
  public var isCharArray: Bool {
    if case .array(.integer(1, true), _) = self { return true }
    return false
  }
}

/// A struct or union, identified by the catalog's own id (anonymous ones have no name).
public struct RecordRef: Codable, Hashable, Sendable, CustomStringConvertible {
  public let name: String
  public let isUnion: Bool
  public let id: Int
  public let size: Int

  public init(name: String, isUnion: Bool, id: Int, size: Int) {
    self.name = name
    self.isUnion = isUnion
    self.id = id
    self.size = size
  }

  public var description: String {
    if id == RecordRef.scriptRecordID { return "record \(name)" }
    return "\(isUnion ? "union" : "struct") \(name.isEmpty ? "(anonymous)" : name)"
  }

  /// The id of a record a script writes, `(a = 1, b = "x")`, which no type catalog holds.
  public static let scriptRecordID = -1
  /// Ids from here on are records of user binaries (DWARF); C definitions use ids below
  /// `scriptRecordID`; the kernel's BTF ids lie between.
  public static let userRecordIDBase = 1 << 40

  /// Whether the record's layout is the kernel's (from its BTF), which another kernel build may
  /// change: reads of its fields are CO-RE relocations.
  public var isKernelRecord: Bool { id > 0 && id < Self.userRecordIDBase }
}

/// A read of a kernel struct's field through a pointer. Code generation makes the field's offset a
/// CO-RE relocation (a BTF access index), which libbpf sets to the running kernel's layout when it
/// loads the program; the run names the field when that kernel has no such field.
public struct KernelFieldAccess: Codable, Hashable, Sendable {
  public let record: RecordRef
  public let field: RecordField
  /// The first access in the script, for the error when the field is missing.
  public let range: SourceRange

  public init(record: RecordRef, field: RecordField, range: SourceRange) {
    self.record = record
    self.field = field
    self.range = range
  }

  /// Whether a read of FIELD of RECORD can be relocated: a named record (libbpf finds the running
  /// kernel's by name; an anonymous one's fields, as in `kuid_t`, keep their offsets within it,
  /// while the field holding it is relocated), not a bit-field (its bits would need more than a
  /// byte offset), and not a member of an anonymous struct lifted into a union (a union's members
  /// all start at 0, so the lifted one has no place of its own in BTF).
  public static func isRelocatable(_ field: RecordField, of record: RecordRef) -> Bool {
    record.isKernelRecord && !record.name.isEmpty && field.bitSize == 0 && !(record.isUnion && field.offset != 0)
      && field.type.size > 0
  }
}

public struct RecordField: Codable, Hashable, Sendable {
  public let name: String
  /// Byte offset from the start of the record (members of anonymous inner records included).
  public let offset: Int
  public let type: CType
  /// Non-zero for a bit-field: its width; `bitOffset` is then its offset within `offset`'s byte.
  public let bitSize: Int
  public let bitOffset: Int

  public init(name: String, offset: Int, type: CType, bitSize: Int = 0, bitOffset: Int = 0) {
    self.name = name
    self.offset = offset
    self.type = type
    self.bitSize = bitSize
    self.bitOffset = bitOffset
  }
}

/// Where struct definitions come from: the kernel's BTF on a live system, a fake in tests.
public protocol KernelTypeCatalog: AnyObject {
  func record(named name: String, isUnion: Bool) -> RecordRef?
  /// Fields by name, with members of anonymous structs and unions lifted into their parent.
  func fields(of record: RecordRef) -> [RecordField]
  /// Every named struct, for "did you mean" suggestions.
  func recordNames() -> [String]
  /// An integer constant: an enum value, or (from C definitions) an object-like macro.
  func constant(named name: String) -> Int64?
  /// The enum that defines constant NAME; nil for a macro or an unknown name.
  func enumeration(ofConstant name: String) -> EnumType?
  /// The enum tagged NAME (`enum NAME { ... }`).
  func enumeration(named name: String) -> EnumType?
  /// The arguments of raw tracepoint `event` (its TP_PROTO), names empty where BTF has none;
  /// nil if the kernel has no such tracepoint.
  func rawTracepointArguments(_ event: String) -> [(name: String, type: CType)]?
  /// Every raw tracepoint the catalog describes, sorted (for `-l`).
  func rawTracepointNames() -> [String]
  /// A kernel function's parameters and return type from BTF (for fentry/fexit); nil if BTF has none.
  func functionPrototype(_ name: String) -> (arguments: [(name: String, type: CType)], returnType: CType)?
  /// What a typedef such as `u32` or `pid_t` stands for; nil if the catalog has no such name.
  func typedef(named name: String) -> CType?
  /// The type of kernel variable NAME (the kernel's BTF lists its per-CPU variables); nil if none.
  func variable(named name: String) -> CType?
  /// C definitions of these structs and unions and of everything they need, for C code that
  /// embeds them by value; nil if the catalog cannot write C.
  func cDefinitions(ofRecords records: [(name: String, isUnion: Bool)]) -> String?
}

/// Debug information (DWARF) of the user binaries uprobes attach to; a fake in tests.
public protocol UserDebugInfo: AnyObject {
  /// Makes the struct types of the binary at `path` visible to the script (`(struct Foo *)arg0`).
  func use(_ path: String)
  /// The parameters of `function` in the binary at `path`, in order; nil without debug information.
  func parameters(of function: String, in path: String) -> [(name: String, type: CType)]?
  /// The parameters as `-lv` lists them (`int* n`); nil without debug information.
  func parameterDeclarations(of function: String, in path: String) -> [String]?
}

extension UserDebugInfo {
  public func parameterDeclarations(of function: String, in path: String) -> [String]? { nil }
}

extension KernelTypeCatalog {
  public func enumeration(ofConstant name: String) -> EnumType? { nil }
  public func enumeration(named name: String) -> EnumType? { nil }
  public func cDefinitions(ofRecords records: [(name: String, isUnion: Bool)]) -> String? { nil }
  public func typedef(named name: String) -> CType? { nil }
  public func functionPrototype(_ name: String) -> (arguments: [(name: String, type: CType)], returnType: CType)? { nil }
}
