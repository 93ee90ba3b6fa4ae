import CLLVM
import SwiftraceSema

extension IRGenerator {
  /// `strcontains(haystack, needle)`: 1 if needle occurs in haystack. Two nested loops bounded by
  /// the buffer sizes; every byte load sits behind the comparison that proves its index in
  /// range, so the verifier learns the bounds from the branches (no masking: LLVM may turn
  /// `p + (i & mask)` into a bitwise op on the pointer, which the verifier rejects).
  func stringContains(_ h: LLVMValueRef, _ nh: Int, _ n: LLVMValueRef, _ nn: Int) -> LLVMValueRef {
    let b = m.builder
    let result = scratch(8), i = scratch(8), j = scratch(8)
    store64(m.int(0), at: result)
    store64(m.int(0), at: i)
    func byte(_ base: LLVMValueRef, _ index: LLVMValueRef) -> LLVMValueRef {
      var idx: [LLVMValueRef?] = [index]
      return LLVMBuildLoad2(b, m.i8, LLVMBuildGEP2(b, m.i8, base, &idx, 1, ""), "")!
    }
    func branch(_ condition: LLVMValueRef, _ yes: LLVMBasicBlockRef, _ no: LLVMBasicBlockRef) {
      LLVMBuildCondBr(b, condition, yes, no)
    }
    let outer = appendBlock("contains.outer"), inner = appendBlock("contains.inner")
    let needleByte = appendBlock("contains.needle"), haystackIndex = appendBlock("contains.index")
    let compare = appendBlock("contains.compare"), advanceJ = appendBlock("contains.advance")
    let next = appendBlock("contains.next"), nextCheck = appendBlock("contains.nextcheck")
    let found = appendBlock("contains.found"), done = appendBlock("contains.done")
    LLVMBuildBr(b, outer)

    // for i in 0..<nh
    LLVMPositionBuilderAtEnd(b, outer)
    store64(m.int(0), at: j)
    branch(LLVMBuildICmp(b, LLVMIntULT, load64(i), m.int(UInt64(nh)), ""), inner, done)
    // for j in 0..<nn: the needle's end (or its NUL) means a match
    LLVMPositionBuilderAtEnd(b, inner)
    let jv = load64(j)
    branch(LLVMBuildICmp(b, LLVMIntUGE, jv, m.int(UInt64(nn)), ""), found, needleByte)
    LLVMPositionBuilderAtEnd(b, needleByte)
    let d = byte(n, jv)
    branch(LLVMBuildICmp(b, LLVMIntEQ, d, m.int(0, m.i8), ""), found, haystackIndex)
    // haystack[i + j] must exist, be no NUL, and equal needle[j]
    LLVMPositionBuilderAtEnd(b, haystackIndex)
    let k = LLVMBuildAdd(b, load64(i), jv, "")!
    branch(LLVMBuildICmp(b, LLVMIntULT, k, m.int(UInt64(nh)), ""), compare, next)
    LLVMPositionBuilderAtEnd(b, compare)
    branch(LLVMBuildICmp(b, LLVMIntEQ, byte(h, k), d, ""), advanceJ, next)
    LLVMPositionBuilderAtEnd(b, advanceJ)
    store64(LLVMBuildAdd(b, jv, m.int(1), ""), at: j)
    LLVMBuildBr(b, inner)
    // next start position; the haystack's NUL ends the search
    LLVMPositionBuilderAtEnd(b, next)
    let iv = load64(i)
    store64(LLVMBuildAdd(b, iv, m.int(1), ""), at: i)
    branch(LLVMBuildICmp(b, LLVMIntULT, iv, m.int(UInt64(nh)), ""), nextCheck, done)
    LLVMPositionBuilderAtEnd(b, nextCheck)
    branch(LLVMBuildICmp(b, LLVMIntEQ, byte(h, iv), m.int(0, m.i8), ""), done, outer)
    LLVMPositionBuilderAtEnd(b, found)
    store64(m.int(1), at: result)
    LLVMBuildBr(b, done)
    LLVMPositionBuilderAtEnd(b, done)
    return load64(result)
  }
}
