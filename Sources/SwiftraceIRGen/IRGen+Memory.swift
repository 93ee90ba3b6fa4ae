import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension AddressSpace {
  /// bpf_probe_read_user, bpf_probe_read_kernel, or bpf_probe_read, which picks by the address
  /// when nothing says which memory it is.
  var readHelper: BPFHelper {
    switch self {
    case .user: return .probeReadUser
    case .kernel: return .probeReadKernel
    case .unknown: return .probeRead
    }
  }

  /// The same for NUL-terminated strings.
  var stringReadHelper: BPFHelper {
    switch self {
    case .user: return .probeReadUserStr
    case .kernel: return .probeReadKernelStr
    case .unknown: return .probeReadStr
    }
  }
}

/// Reads through pointers with the helper of the pointer's address space. A struct's value is its
/// address; only its fields are read.
extension IRGenerator {
  func emitMemberAccess(base: Expr, _ e: Expr) -> IRValue {
    guard let field = checked.memberFields[e.id] else { return .integer(m.int(0)) }
    let address = fieldAddress(base: recordAddress(base), e, field: field)
    return readMemory(address, as: field.type, type: checked.type(of: e), space: addressSpace(checked.type(of: base)),
                      bitSize: field.bitSize, bitOffset: field.bitOffset)
  }

  func emitDereference(_ operand: Expr, _ e: Expr) -> IRValue {
    guard case .pointer(let target, let space) = checked.type(of: operand) else { return .integer(m.int(0)) }
    return readMemory(emitInteger(operand), as: target, type: checked.type(of: e), space: space)
  }

  func emitIndex(_ base: Expr, _ index: Expr, _ e: Expr) -> IRValue {
    if case .array(let element, let count) = checked.type(of: base) {
      return emitArrayElement(base, index, element: element, count: count)
    }
    if case .string(let size) = checked.type(of: base) {
      return emitArrayElement(base, index, element: .integer(signed: true, bits: 8), count: size)
    }
    guard case .pointer(let target, let space) = checked.type(of: base) else { return .integer(m.int(0)) }
    let scaled = LLVMBuildMul(m.builder, emitInteger(index), m.int(max(1, target.size)), "")
    let address = LLVMBuildAdd(m.builder, emitInteger(base), scaled, "")!
    return readMemory(address, as: target, type: checked.type(of: e), space: space)
  }

  /// `a[i]` of an array value. An array in traced memory (a field reached through a pointer) is
  /// read element by element where it is; any other (a variable, a map value) is a copy in the
  /// program's memory, where an index outside the array reads 0 so that the verifier sees every
  /// access in bounds.
  func emitArrayElement(_ base: Expr, _ index: Expr, element: SType, count: Int) -> IRValue {
    let i = emitInteger(index)
    let c: CType
    if case .integer(let signed, let bits) = element { c = .integer(bytes: bits / 8, signed: signed) } else { c = .void }
    if let (address, space) = arrayAddress(base) {
      let at = LLVMBuildAdd(m.builder, address, LLVMBuildMul(m.builder, i, m.int(element.byteSize), ""), "")!
      return readMemory(at, as: c, type: element, space: space)
    }
    guard case .buffer(let p, _) = emitValue(base) else { return .integer(m.int(0)) }
    let result = scratch(max(8, element.storageSize))
    zero(result, bytes: max(8, element.storageSize))
    let inside = appendBlock("index.inside")
    let done = appendBlock("index.done")
    LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntULT, i, m.int(UInt64(count)), ""), inside, done)
    LLVMPositionBuilderAtEnd(m.builder, inside)
    var at: [LLVMValueRef?] = [LLVMBuildMul(m.builder, i, m.int(element.byteSize), "")]
    let source = LLVMBuildGEP2(m.builder, m.i8, bytePointer(p), &at, 1, "")!
    callHelper(.probeReadKernel, [result, m.int(UInt64(element.byteSize), m.i32), source])  // bpf_probe_read_kernel
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    guard case .integer = element else { return .buffer(result, size: element.storageSize) }
    var v = load64(result)
    if element.isSigned, element.byteSize < 8 { v = narrow(v, bits: element.byteSize * 8, signed: true) }
    return .integer(v)
  }

  /// Where an array value lies in traced memory, and in which address space; nil when the array is
  /// not a field reached through a pointer.
  func arrayAddress(_ e: Expr) -> (LLVMValueRef, space: AddressSpace)? {
    switch e.kind {
    case .field(let base, _, _):
      guard checked.type(of: base) != .tracepointArgs, let field = checked.memberFields[e.id] else { return nil }
      return (fieldAddress(base: recordAddress(base), e, field: field), addressSpace(checked.type(of: base)))
    case .index(let base, let index):
      guard case .array(let element, _) = checked.type(of: base), let (address, space) = arrayAddress(base) else { return nil }
      let at = LLVMBuildMul(m.builder, emitInteger(index), m.int(element.byteSize), "")!
      return (LLVMBuildAdd(m.builder, address, at, "")!, space)
    default:
      return nil
    }
  }

  /// Where the struct that `base` is (or points at) starts: in traced memory for a pointer or a
  /// struct read through one, in the program's memory for a struct value (a copy).
  func recordAddress(_ base: Expr) -> LLVMValueRef {
    guard case .structValue = checked.type(of: base), case .buffer(let p, _) = emitValue(base) else {
      return emitInteger(base)
    }
    return LLVMBuildPtrToInt(m.builder, p, m.i64, "")!
  }

  /// Copies the struct at `address` (traced memory, user or kernel) into `slot`.
  func copyRecord(_ r: RecordRef, from address: LLVMValueRef, space: AddressSpace, into slot: LLVMValueRef) {
    let storage = (r.size + 7) / 8 * 8
    if storage != r.size { zero(slot, bytes: storage) }
    let source = LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!
    callHelper(space.readHelper, [slot, m.int(UInt64(r.size), m.i32), source])
  }

  /// Bytes one step of a pointer of type `t` moves (`p + 1`, `p++`): its target's size; 1 for
  /// anything else (integers, `void *`).
  func elementSize(_ t: SType) -> Int {
    if case .pointer(let target, _) = t { return max(1, target.size) }
    return 1
  }

  /// `p + n` moves by n elements.
  func emitPointerArithmetic(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr) -> LLVMValueRef? {
    let l = checked.type(of: lhs), r = checked.type(of: rhs)
    switch (op, l.isPointer, r.isPointer) {
    case (.add, true, false), (.subtract, true, false):
      let offset = LLVMBuildMul(m.builder, emitInteger(rhs), m.int(elementSize(l)), "")!
      let p = emitInteger(lhs)
      return op == .add ? LLVMBuildAdd(m.builder, p, offset, "") : LLVMBuildSub(m.builder, p, offset, "")
    case (.add, false, true):
      return LLVMBuildAdd(m.builder, LLVMBuildMul(m.builder, emitInteger(lhs), m.int(elementSize(r)), ""), emitInteger(rhs), "")
    case (.subtract, true, true):
      let bytes = LLVMBuildSub(m.builder, emitInteger(lhs), emitInteger(rhs), "")!
      return divide(bytes, m.int(elementSize(l)), remainder: false, signed: true)
    default:
      return nil
    }
  }

  func addressSpace(_ t: SType) -> AddressSpace {
    switch t {
    case .pointer(_, let space), .record(_, let space): return space
    default: return .kernel
    }
  }

  /// Reads a value of C type `c` at `address` and turns it into an expression value of `type`.
  func readMemory(_ address: LLVMValueRef, as c: CType, type: SType, space: AddressSpace,
                  bitSize: Int = 0, bitOffset: Int = 0) -> IRValue {
    let helper = space.readHelper
    let source = LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!
    switch type {
    case .record:
      return .integer(address)
    case .pointer where { if case .array = c { return true } else { return false } }():
      return .integer(address)  // an array of structs or pointers decays to its first element's address
    case .array:
      let buffer = scratch(type.storageSize)
      zero(buffer, bytes: type.storageSize)
      callHelper(helper, [buffer, m.int(UInt64(type.byteSize), m.i32), source])
      return .buffer(buffer, size: type.storageSize)
    case .string(let n):
      let buffer = scratch(n)
      callHelper(helper, [buffer, m.int(UInt64(n), m.i32), source])
      return .buffer(buffer, size: n)
    default:
      let size = min(8, max(1, bitSize > 0 ? (bitOffset + bitSize + 7) / 8 : c.size))
      let slot = scratch(8)
      store64(m.int(0), at: slot)
      callHelper(helper, [slot, m.int(UInt64(size), m.i32), source])
      var v = load64(slot)
      if bitSize > 0 {
        v = LLVMBuildLShr(m.builder, v, m.int(bitOffset), "")
        return .integer(LLVMBuildAnd(m.builder, v, m.int(bitSize >= 64 ? ~0 : (1 << UInt64(bitSize)) - 1), ""))
      }
      if type.isSigned && size < 8 {
        let shift = m.int(UInt64(64 - size * 8))
        v = LLVMBuildAShr(m.builder, LLVMBuildShl(m.builder, v, shift, ""), shift, "")
      }
      return .integer(v)
    }
  }
}

extension IRGenerator {
  /// `write_user(address, value, length)`: bpf_probe_write_user from the value's bytes (an
  /// integer's 8 bytes from a slot of its own); a computed length is limited to the value's size,
  /// and 0 writes nothing (the helper takes 1 byte at least). 1 when written.
  func writeUser(_ args: [Expr]) -> LLVMValueRef {
    let target = LLVMBuildIntToPtr(m.builder, emitInteger(args[0]), m.i8Ptr, "")!
    let source: LLVMValueRef, size: Int
    switch emitValue(args[1]) {
    case .buffer(let p, let n): (source, size) = (bytePointer(p), n)
    case .integer(let v):
      let slot = scratch(8)
      store64(v, at: slot)
      (source, size) = (bytePointer(slot), 8)
    }
    let result = scratch(8)
    if let n = checked.constants[args[2].id] ?? literalInteger(args[2]) {
      let status = callHelper(.probeWriteUser, [target, source, m.int(n, m.i32)])
      store64(status, at: result)
    } else {
      store64(m.int(1), at: result)  // nothing written for 0: not a success
      let n = emitInteger(args[2])
      let limited = LLVMBuildSelect(m.builder, LLVMBuildICmp(m.builder, LLVMIntUGT, n, m.int(UInt64(size)), ""),
                                    m.int(UInt64(size)), n, "")!
      let write = appendBlock("write_user.write"), done = appendBlock("write_user.done")
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, limited, m.int(0), ""), write, done)
      LLVMPositionBuilderAtEnd(m.builder, write)
      let status = callHelper(.probeWriteUser, [target, source, LLVMBuildTrunc(m.builder, limited, m.i32, "")!])
      store64(status, at: result)
      LLVMBuildBr(m.builder, done)
      LLVMPositionBuilderAtEnd(m.builder, done)
    }
    let written = LLVMBuildICmp(m.builder, LLVMIntEQ, load64(result), m.int(0), "")!
    return LLVMBuildZExt(m.builder, written, m.i64, "")!
  }

  /// An integer literal's value, nil for anything else.
  func literalInteger(_ e: Expr) -> UInt64? {
    if case .integer(let n) = e.kind { return n }
    return nil
  }
}
