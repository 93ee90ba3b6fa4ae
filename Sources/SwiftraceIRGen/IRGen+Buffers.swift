import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  /// `buf(p, n)`: an 8-byte length, then the bytes. The slot is zeroed first so that equal buffers
  /// make equal map keys; a computed length is clamped to the capacity before the read, which is
  /// also what tells the verifier the size is bounded.
  func emitBuf(_ args: [Expr], _ e: Expr) -> IRValue {
    guard case .buffer(let capacity) = checked.type(of: e) else { return .integer(m.int(0)) }
    let size = checked.type(of: e).storageSize
    let slot = scratch(size)
    zero(slot, bytes: size)
    let data = offset(slot, 8)
    var length: LLVMValueRef = m.int(UInt64(capacity))
    if args.count == 2 {
      if case .integer = args[1].kind {
        // The checker sized the buffer from the literal.
      } else {
        let n = emitInteger(args[1])
        length = LLVMBuildSelect(m.builder, LLVMBuildICmp(m.builder, LLVMIntULT, n, m.int(UInt64(capacity)), ""),
                                 n, m.int(UInt64(capacity)), "")!
      }
    }
    let source = emitValue(args[0])
    switch source {
    case .buffer(let p, let n):
      // A string value already on the stack: copy what fits; the length says how much counts.
      copy(min(n, capacity), from: p, to: data)
    case .integer(let address):
      let sourceType = checked.type(of: args[0])
      let space = sourceType.isPointer ? addressSpace(sourceType) : probe.kind.argumentAddressSpace
      let pointer = LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!
      callHelper(space.readHelper, [data, LLVMBuildTrunc(m.builder, length, m.i32, "")!, pointer])
    }
    store64(length, at: slot)
    return .buffer(bytePointer(slot), size: size)
  }
}
