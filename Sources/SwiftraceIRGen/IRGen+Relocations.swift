import CLLVM
import Synchronization
import SwiftraceSema
import SwiftraceSyntax

/// CO-RE: a read of a kernel struct's field takes its offset from a relocation instead of the
/// number the build's BTF gave. Each access is clang's `__builtin_preserve_access_index` form, an
/// `llvm.preserve.{struct,union}.access.index` call tagged with the struct's debug type; LLVM's BPF
/// backend turns it into an offset constant plus a BTF field relocation (a type id and an access
/// string such as `0:3`) in `.BTF.ext`, and libbpf rewrites the constant for the running kernel's
/// layout at load time, matching structs and fields by name. A program built against one kernel's
/// types thus reads the right bytes on another whose layouts differ.
struct KernelRecordTypes {
  /// What one kernel record is to LLVM: its debug type with every field the program reads (by
  /// name, in offset order) and the IR type the intrinsics name as their element type.
  struct Entry {
    let debugType: LLVMMetadataRef
    let irType: LLVMTypeRef
    let memberIndex: [String: UInt32]
  }

  private var entries: [Int: Entry] = [:]
  /// The names this compilation's debug types carry: `task_struct___7`. libbpf matches a local
  /// type to the kernel's by the name before `___` (a CO-RE "flavor"); LLVM 14's BPF backend keeps
  /// the globals of its relocations in a process-wide map keyed by type name and access string
  /// (BPFAbstractMemberAccess::GEPGlobals), which outlives each module: a second compilation in
  /// the process (tests, the fuzzer) with the same key would reuse a freed global.
  private let flavor = "___\(KernelRecordTypes.compilations.add(1, ordering: .relaxed).newValue)"
  private static let compilations = Atomic<Int>(0)
  /// The fields each record's debug type lists: all the accesses of the program, known before
  /// the first is generated (a debug type cannot grow members later).
  private let fieldsByRecord: [Int: [RecordField]]

  /// The records with fields read, by name and kind.
  private let records: [String: RecordRef]

  init(_ accesses: some Sequence<KernelFieldAccess>) {
    var fields: [Int: [String: RecordField]] = [:]
    var records: [String: RecordRef] = [:]
    for access in accesses where KernelFieldAccess.isRelocatable(access.field, of: access.record) {
      fields[access.record.id, default: [:]][access.field.name] = access.field
      records[(access.record.isUnion ? "union " : "struct ") + access.record.name] = access.record
    }
    self.records = records
    fieldsByRecord = fields.mapValues { byName in
      byName.values.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
    }
  }

  /// The record named NAME whose fields the program reads, if it reads any.
  func record(named name: String, isUnion: Bool) -> RecordRef? {
    records[(isUnion ? "union " : "struct ") + name]
  }

  mutating func entry(for record: RecordRef, di: DebugInfo, m: LLVMModule) -> Entry {
    if let known = entries[record.id] { return known }
    let fields = fieldsByRecord[record.id] ?? []
    var members: [LLVMMetadataRef?] = []
    var index: [String: UInt32] = [:]
    for field in fields {
      let type = di.kernelType(field.type, relocated: false) ?? di.bytes(field.type.size)
      index[field.name] = UInt32(members.count)
      members.append(LLVMDIBuilderCreateMemberType(
        m.dib, di.compileUnit, field.name, field.name.utf8.count, di.file, 0, UInt64(field.type.size * 8), 8,
        UInt64(field.offset * 8), LLVMDIFlagZero, type))
    }
    let name = record.name + flavor, bits = UInt64(record.size * 8)
    let debugType: LLVMMetadataRef = record.isUnion
      ? LLVMDIBuilderCreateUnionType(m.dib, di.compileUnit, name, name.utf8.count, di.file, 0, bits, 8, LLVMDIFlagZero,
                                     &members, UInt32(members.count), 0, "", 0)
      : LLVMDIBuilderCreateStructType(m.dib, di.compileUnit, name, name.utf8.count, di.file, 0, bits, 8, LLVMDIFlagZero,
                                      nil, &members, UInt32(members.count), 0, nil, "", 0)
    // The IR type only gives the intrinsic its element type: the backend computes offsets from the
    // debug type, so the record's bytes as one array serve (GEP index 0 for every field).
    let irName = (record.isUnion ? "union." : "struct.") + name
    let irType = LLVMStructCreateNamed(m.context, irName)!
    var body: [LLVMTypeRef?] = [m.arrayType(m.i8, max(1, record.size))]
    LLVMStructSetBody(irType, &body, 1, 1)
    let entry = Entry(debugType: debugType, irType: irType, memberIndex: index)
    entries[record.id] = entry
    return entry
  }
}

extension IRGenerator {
  /// The address of the field access E reads, BASE being the address of its struct: a CO-RE
  /// relocated offset for a kernel struct's field, the build's offset otherwise.
  func fieldAddress(base: LLVMValueRef, _ e: Expr, field: RecordField) -> LLVMValueRef {
    guard let access = checked.kernelFieldAccesses[e.id] else {
      return LLVMBuildAdd(m.builder, base, m.int(field.offset), "")!
    }
    return fieldAddress(base: base, access)
  }

  /// The address of ACCESS's field in the struct at BASE (an integer), relocated when it can be.
  func fieldAddress(base: LLVMValueRef, _ access: KernelFieldAccess) -> LLVMValueRef {
    let field = access.field
    let entry = kernelRecords.entry(for: access.record, di: di, m: m)
    guard KernelFieldAccess.isRelocatable(field, of: access.record), let member = entry.memberIndex[field.name] else {
      return LLVMBuildAdd(m.builder, base, m.int(field.offset), "")!
    }
    let recordPointer = LLVMPointerType(entry.irType, 0)!
    let pointer = LLVMBuildIntToPtr(m.builder, base, recordPointer, "")!
    let intrinsic = access.record.isUnion ? "llvm.preserve.union.access.index" : "llvm.preserve.struct.access.index"
    let id = LLVMLookupIntrinsicID(intrinsic, intrinsic.utf8.count)
    var overloads: [LLVMTypeRef?] = [m.i8Ptr, recordPointer]
    let fn = LLVMGetIntrinsicDeclaration(m.module, id, &overloads, 2)!
    var argv: [LLVMValueRef?] = access.record.isUnion
      ? [pointer, m.int(UInt64(member), m.i32)]
      : [pointer, m.int(0, m.i32), m.int(UInt64(member), m.i32)]
    let call = LLVMBuildCall2(m.builder, LLVMGlobalGetValueType(fn), fn, &argv, UInt32(argv.count), "")!
    let kind = "llvm.preserve.access.index"
    LLVMSetMetadata(call, LLVMGetMDKindIDInContext(m.context, kind, UInt32(kind.utf8.count)),
                    LLVMMetadataAsValue(m.context, entry.debugType))
    let elementType = "elementtype"
    let attribute = LLVMCreateTypeAttribute(
      m.context, LLVMGetEnumAttributeKindForName(elementType, elementType.utf8.count), entry.irType)
    LLVMAddCallSiteAttribute(call, 1, attribute)
    return LLVMBuildPtrToInt(m.builder, call, m.i64, "")!
  }
}
