import CLLVM
import SwiftraceSema

/// Debug info for the module. The BPF backend turns it into BTF: libbpf needs BTF to create
/// `.maps` (maps are declared the way libbpf's `__uint`/`__type` macros declare them), and the
/// kernel uses line info to point verifier messages at the script.
final class DebugInfo {
  let m: LLVMModule
  let file: LLVMMetadataRef
  let compileUnit: LLVMMetadataRef
  private(set) lazy var intType = basic("int", 32, 5)  // DW_ATE_signed
  private(set) lazy var uintType = basic("unsigned int", 32, 8)  // DW_ATE_unsigned
  private(set) lazy var byteType = basic("unsigned char", 8, 8)
  private(set) lazy var voidPtr = LLVMDIBuilderCreatePointerType(m.dib, nil, 64, 64, 0, nil, 0)!
  /// `const void`: a typeless kernel symbol (`extern const void name __ksym`).
  private(set) lazy var constVoid = LLVMDIBuilderCreateQualifiedType(m.dib, 0x26, nil)!  // DW_TAG_const_type

  init(_ m: LLVMModule, fileName: String, directory: String) {
    self.m = m
    file = LLVMDIBuilderCreateFile(m.dib, fileName, fileName.utf8.count, directory, directory.utf8.count)
    let producer = "swiftrace"
    compileUnit = LLVMDIBuilderCreateCompileUnit(
      m.dib, LLVMDWARFSourceLanguageC, file, producer, producer.utf8.count, 1, "", 0, 0, "", 0,
      LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0)
    let version = LLVMValueAsMetadata(m.int(UInt64(LLVMDebugMetadataVersion()), m.i32))
    LLVMAddModuleFlag(m.module, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18, version)
    LLVMAddModuleFlag(m.module, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
                      LLVMValueAsMetadata(m.int(4, m.i32)))
  }

  private func basic(_ name: String, _ bits: UInt64, _ encoding: UInt32) -> LLVMMetadataRef {
    LLVMDIBuilderCreateBasicType(m.dib, name, name.utf8.count, bits, encoding, LLVMDIFlagZero)
  }

  private func array(of element: LLVMMetadataRef, count: Int, elementBits: UInt64) -> LLVMMetadataRef {
    var range: LLVMMetadataRef? = LLVMDIBuilderGetOrCreateSubrange(m.dib, 0, Int64(count))
    return LLVMDIBuilderCreateArrayType(m.dib, elementBits * UInt64(count), 8, element, &range, 1)
  }

  /// `unsigned char[n]`: a kernel field of a type BTF-compatible debug info has no form for.
  func bytes(_ n: Int) -> LLVMMetadataRef { array(of: byteType, count: max(1, n), elementBits: 8) }

  private func pointer(to t: LLVMMetadataRef) -> LLVMMetadataRef {
    LLVMDIBuilderCreatePointerType(m.dib, t, 64, 64, 0, nil, 0)
  }

  /// `__uint(name, n)`: a pointer to an `int[n]`, whose element count carries the number.
  private func uintMember(_ n: Int) -> LLVMMetadataRef { pointer(to: array(of: intType, count: n, elementBits: 32)) }

  /// `struct { __uint(type, T); __uint(max_entries, N); __type(key, K); __type(value, V); }` as
  /// debug info attached to `global`, which lives in the `.maps` section.
  func describeMap(_ global: LLVMValueRef, name: String, type: BPFMapType, maxEntries: Int,
                   keySize: Int?, valueSize: Int?, flags: Int = 0, line: UInt32) {
    var members: [(String, LLVMMetadataRef)] = [("type", uintMember(Int(type.rawValue))), ("max_entries", uintMember(maxEntries))]
    if flags != 0 { members.append(("map_flags", uintMember(flags))) }
    // A 4-byte key is an `unsigned int`: the kernel insists on an integer key for arrays (libbpf
    // would retry the creation without BTF).
    if let keySize {
      members.append(("key", pointer(to: keySize == 4 ? uintType : array(of: byteType, count: keySize, elementBits: 8))))
    }
    if let valueSize { members.append(("value", pointer(to: array(of: byteType, count: valueSize, elementBits: 8)))) }
    var elements: [LLVMMetadataRef?] = members.enumerated().map { i, member in
      LLVMDIBuilderCreateMemberType(m.dib, compileUnit, member.0, member.0.utf8.count, file, line, 64, 64,
                                    UInt64(i * 64), LLVMDIFlagZero, member.1)
    }
    let structType = LLVMDIBuilderCreateStructType(
      m.dib, compileUnit, "", 0, file, line, UInt64(64 * members.count), 64, LLVMDIFlagZero, nil,
      &elements, UInt32(elements.count), 0, nil, "", 0)
    let expr = LLVMDIBuilderCreateExpression(m.dib, nil, 0)
    let gve = LLVMDIBuilderCreateGlobalVariableExpression(
      m.dib, compileUnit, name, name.utf8.count, "", 0, file, line, structType, 0, expr, nil, 64)
    LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, "dbg", 3), gve)
  }

  /// A `u64` global variable (BTF puts it in its section's DATASEC).
  func describeVariable(_ global: LLVMValueRef, name: String, line: UInt32) {
    let type = basic("unsigned long long", 64, 8)
    let expr = LLVMDIBuilderCreateExpression(m.dib, nil, 0)
    let gve = LLVMDIBuilderCreateGlobalVariableExpression(
      m.dib, compileUnit, name, name.utf8.count, "", 0, file, line, type, 0, expr, nil, 64)
    LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, "dbg", 3), gve)
  }

  /// A `u64 name[count]` global variable (BTF puts it in its section's DATASEC).
  func describeWords(_ global: LLVMValueRef, name: String, count: Int, line: UInt32) {
    let words = array(of: basic("unsigned long long", 64, 8), count: count, elementBits: 64)
    let expr = LLVMDIBuilderCreateExpression(m.dib, nil, 0)
    let gve = LLVMDIBuilderCreateGlobalVariableExpression(
      m.dib, compileUnit, name, name.utf8.count, "", 0, file, line, words, 0, expr, nil, 64)
    LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, "dbg", 3), gve)
  }

  /// A `const char name[count]` in a data section: libbpf finds it in the section's BTF.
  func describeBytes(_ global: LLVMValueRef, name: String, count: Int, line: UInt32) {
    let bytes = array(of: basic("char", 8, 6), count: count, elementBits: 8)
    let constant = LLVMDIBuilderCreateQualifiedType(m.dib, 0x26, bytes)  // DW_TAG_const_type
    let expr = LLVMDIBuilderCreateExpression(m.dib, nil, 0)
    let gve = LLVMDIBuilderCreateGlobalVariableExpression(
      m.dib, compileUnit, name, name.utf8.count, "", 0, file, line, constant, 1, expr, nil, 8)
    LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, "dbg", 3), gve)
  }

  /// Every function needs a subprogram once the module has a compile unit (LLVM 14's BTF writer
  /// crashes otherwise), and its parameter must be named or the kernel rejects the BTF.
  func describeFunction(_ function: LLVMValueRef, name: String, line: UInt32) -> LLVMMetadataRef {
    var params: [LLVMMetadataRef?] = [intType, voidPtr]
    let subroutine = LLVMDIBuilderCreateSubroutineType(m.dib, file, &params, 2, LLVMDIFlagZero)
    let sp = LLVMDIBuilderCreateFunction(m.dib, file, name, name.utf8.count, name, name.utf8.count, file, line,
                                         subroutine, 0, 1, line, LLVMDIFlagPrototyped, 1)!
    _ = LLVMDIBuilderCreateParameterVariable(m.dib, sp, "ctx", 3, 1, file, line, voidPtr, 1, LLVMDIFlagZero)
    LLVMSetSubprogram(function, sp)
    return sp
  }

  /// `long callback(void *map, void *key, void *value, void *ctx)` for bpf_for_each_map_elem.
  /// A static subprogram `long name(void *a, void *b, ...)` that a helper calls back.
  func describeCallback(_ function: LLVMValueRef, name: String, line: UInt32,
                        parameters: [String] = ["map", "key", "value", "ctx"]) -> LLVMMetadataRef {
    let long = LLVMDIBuilderCreateBasicType(m.dib, "long", 4, 64, 5, LLVMDIFlagZero)!
    var params: [LLVMMetadataRef?] = [long] + parameters.map { _ in voidPtr }
    let subroutine = LLVMDIBuilderCreateSubroutineType(m.dib, file, &params, UInt32(params.count), LLVMDIFlagZero)
    let sp = LLVMDIBuilderCreateFunction(m.dib, file, name, name.utf8.count, name, name.utf8.count, file, line,
                                         subroutine, 1, 1, line, LLVMDIFlagPrototyped, 1)!
    for (i, param) in parameters.enumerated() {
      _ = LLVMDIBuilderCreateParameterVariable(m.dib, sp, param, param.utf8.count, UInt32(i + 1), file, line, voidPtr, 1,
                                               LLVMDIFlagZero)
    }
    LLVMSetSubprogram(function, sp)
    return sp
  }

  /// `struct NAME {}`: a kernel record as a kfunc's prototype or a kernel variable names it.
  /// libbpf matches a local struct with the kernel's by kind alone, so members are not needed.
  func opaqueRecord(_ record: RecordRef) -> LLVMMetadataRef {
    let name = record.name
    if record.isUnion {
      return LLVMDIBuilderCreateUnionType(m.dib, compileUnit, name, name.utf8.count, file, 0, 0, 8, LLVMDIFlagZero,
                                          nil, 0, 0, "", 0)
    }
    return LLVMDIBuilderCreateStructType(m.dib, compileUnit, name, name.utf8.count, file, 0, 0, 8, LLVMDIFlagZero,
                                         nil, nil, 0, 0, nil, "", 0)
  }

  /// The debug type of a kernel record the program reads fields of (its CO-RE type), by name;
  /// nil for others. Set by the generator.
  var relocatedRecord: ((_ name: String, _ isUnion: Bool) -> LLVMMetadataRef?)?

  /// The debug type that stands for a kernel type in BTF the kernel compares with its own:
  /// integers by size and sign, records as opaque records, pointers and arrays of those. Nil
  /// for what has no such form (functions, floats). A record whose fields the program reads is
  /// its CO-RE type when `relocated`: LLVM writes a pointer's target as a forward declaration
  /// that it completes with a struct of the same name, and libbpf takes no forward declaration
  /// for the kernel's struct in a kfunc's prototype.
  func kernelType(_ type: CType, depth: Int = 0, relocated: Bool = true) -> LLVMMetadataRef? {
    switch type {
    case .void: return nil
    case .integer(let bytes, let signed):
      let name = "\(signed ? "" : "u")int\(bytes * 8)"
      return LLVMDIBuilderCreateBasicType(m.dib, name, name.utf8.count, UInt64(bytes * 8), signed ? 5 : 8, LLVMDIFlagZero)
    case .pointer(let pointee):
      if case .void = pointee { return voidPtr }
      guard depth < 8, let target = kernelType(pointee, depth: depth + 1, relocated: relocated) else { return nil }
      return pointer(to: target)
    case .array(let element, let count):
      guard depth < 8, let e = kernelType(element, depth: depth + 1, relocated: relocated) else { return nil }
      return array(of: e, count: count, elementBits: UInt64(element.size * 8))
    case .record(let record):
      if relocated, let type = relocatedRecord?(record.name, record.isUnion) { return type }
      return opaqueRecord(record)
    case .unsupported: return nil
    }
  }

  /// An extern function of the kernel (a kfunc) that the program calls: BTF lists it as an extern
  /// FUNC in the `.ksyms` section, which libbpf resolves against the kernel's BTF by name.
  func describeKernelFunction(_ function: LLVMValueRef, name: String, returns: LLVMMetadataRef?,
                              parameters: [LLVMMetadataRef]) {
    var types: [LLVMMetadataRef?] = [returns] + parameters
    let subroutine = LLVMDIBuilderCreateSubroutineType(m.dib, file, &types, UInt32(types.count), LLVMDIFlagZero)
    let sp = LLVMDIBuilderCreateFunction(m.dib, file, name, name.utf8.count, name, name.utf8.count, file, 0,
                                         subroutine, 0, 0, 0, LLVMDIFlagPrototyped, 1)!
    LLVMDIBuilderFinalizeSubprogram(m.dib, sp)  // finalize() resolves definitions only
    LLVMSetSubprogram(function, sp)
  }

  /// An extern variable of the kernel (a typed ksym), in the `.ksyms` section.
  func describeKernelVariable(_ global: LLVMValueRef, name: String, type: LLVMMetadataRef) {
    let expr = LLVMDIBuilderCreateExpression(m.dib, nil, 0)
    let gve = LLVMDIBuilderCreateGlobalVariableExpression(
      m.dib, compileUnit, name, name.utf8.count, "", 0, file, 0, type, 0, expr, nil, 0)
    LLVMGlobalSetMetadata(global, LLVMGetMDKindIDInContext(m.context, "dbg", 3), gve)
  }

  func location(line: Int, column: Int, scope: LLVMMetadataRef) -> LLVMMetadataRef {
    LLVMDIBuilderCreateDebugLocation(m.context, UInt32(line), UInt32(column), scope, nil)
  }

  func finalize() { LLVMDIBuilderFinalize(m.dib) }
}
