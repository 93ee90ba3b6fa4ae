import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  /// `strcontains(haystack, needle)`: 1 if needle occurs in haystack.
  func stringContains(_ h: LLVMValueRef, _ nh: Int, _ n: LLVMValueRef, _ nn: Int) -> LLVMValueRef {
    let index = stringSearch(h, nh, n, nn)
    return LLVMBuildZExt(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, index, m.int(UInt64(bitPattern: -1)), ""), m.i64, "")!
  }

  /// `strstr(haystack, needle)`: where needle first occurs in haystack, -1 if it does not. Two
  /// nested loops bounded by the buffer sizes; every byte load sits behind the comparison that
  /// proves its index in range, so the verifier learns the bounds from the branches (no masking:
  /// LLVM may turn `p + (i & mask)` into a bitwise op on the pointer, which the verifier rejects).
  func stringSearch(_ h: LLVMValueRef, _ nh: Int, _ n: LLVMValueRef, _ nn: Int) -> LLVMValueRef {
    let b = m.builder
    let result = scratch(8), i = scratch(8), j = scratch(8)
    store64(m.int(UInt64(bitPattern: -1)), at: result)
    store64(m.int(0), at: i)
    // The counters are read with volatile loads: LLVM then knows nothing of their values, and
    // cannot turn `stack address + index` into a bitwise or on the pointer (the verifier refuses
    // those; seen when a loop's first index was known to be 0).
    func counter(_ p: LLVMValueRef) -> LLVMValueRef {
      let v = load64(p)
      LLVMSetVolatile(v, 1)
      return v
    }
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
    branch(LLVMBuildICmp(b, LLVMIntULT, counter(i), m.int(UInt64(nh)), ""), inner, done)
    // for j in 0..<nn: the needle's end (or its NUL) means a match
    LLVMPositionBuilderAtEnd(b, inner)
    let jv = counter(j)
    branch(LLVMBuildICmp(b, LLVMIntUGE, jv, m.int(UInt64(nn)), ""), found, needleByte)
    LLVMPositionBuilderAtEnd(b, needleByte)
    let d = byte(n, jv)
    branch(LLVMBuildICmp(b, LLVMIntEQ, d, m.int(0, m.i8), ""), found, haystackIndex)
    // haystack[i + j] must exist, be no NUL, and equal needle[j]
    LLVMPositionBuilderAtEnd(b, haystackIndex)
    let k = LLVMBuildAdd(b, counter(i), jv, "")!
    branch(LLVMBuildICmp(b, LLVMIntULT, k, m.int(UInt64(nh)), ""), compare, next)
    LLVMPositionBuilderAtEnd(b, compare)
    branch(LLVMBuildICmp(b, LLVMIntEQ, byte(h, k), d, ""), advanceJ, next)
    LLVMPositionBuilderAtEnd(b, advanceJ)
    store64(LLVMBuildAdd(b, jv, m.int(1), ""), at: j)
    LLVMBuildBr(b, inner)
    // next start position; the haystack's NUL ends the search
    LLVMPositionBuilderAtEnd(b, next)
    let iv = counter(i)
    store64(LLVMBuildAdd(b, iv, m.int(1), ""), at: i)
    branch(LLVMBuildICmp(b, LLVMIntULT, iv, m.int(UInt64(nh)), ""), nextCheck, done)
    LLVMPositionBuilderAtEnd(b, nextCheck)
    branch(LLVMBuildICmp(b, LLVMIntEQ, byte(h, iv), m.int(0, m.i8), ""), done, outer)
    LLVMPositionBuilderAtEnd(b, found)
    store64(counter(i), at: result)
    LLVMBuildBr(b, done)
    LLVMPositionBuilderAtEnd(b, done)
    return load64(result)
  }

  /// `str_concat(a, b)`: a up to its NUL, then b (read by bpf_probe_read_kernel_str, which ends
  /// it with a NUL and stops at the buffer's end).
  func emitStringConcat(_ args: [Expr], _ e: Expr) -> IRValue {
    guard case .string(let size) = checked.type(of: e), case .buffer(let a, let na) = emitValue(args[0]),
      case .buffer(let second, _) = emitValue(args[1]) else { return .integer(m.int(0)) }
    let b = m.builder
    let out = scratch(size)
    zero(out, bytes: size)
    copy(na, from: a, to: out)
    // The first string's length, at most its buffer's last index: the verifier sees the bound.
    let length = stringLength(bytePointer(a), na)
    let bounded = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, length, m.int(UInt64(na)), ""), length,
                                  m.int(UInt64(na - 1)), "")!
    // Through a volatile slot: knowing the offset small and the buffer aligned, LLVM would write
    // `out + offset` as `out | offset`, a bitwise operation on a pointer, which the verifier refuses.
    // On the stack (never the scratch map), where the verifier keeps the value's bounds.
    let slot = entryAlloca(m.i64, "concat.offset")
    LLVMSetVolatile(LLVMBuildStore(b, bounded, slot), 1)
    let reloaded = LLVMBuildLoad2(b, m.i64, slot, "")!
    LLVMSetVolatile(reloaded, 1)
    var index: [LLVMValueRef?] = [reloaded]
    let tail = LLVMBuildGEP2(b, m.i8, bytePointer(out), &index, 1, "")!
    let room = LLVMBuildTrunc(b, LLVMBuildSub(b, m.int(UInt64(size)), reloaded, ""), m.i32, "")!
    callHelper(.probeReadKernelStr, [tail, room, bytePointer(second)], reporting: false)
    return .buffer(bytePointer(out), size: size)
  }

  /// `memcmp(a, b, n)`: 0 when the first n bytes are equal, else the first difference of unsigned
  /// bytes, a's minus b's, as C's memcmp orders them. One compare per byte, unrolled (n is known).
  func compareBytes(_ a: LLVMValueRef, _ b: LLVMValueRef, count: Int) -> LLVMValueRef {
    let result = scratch(8)
    store64(m.int(0), at: result)
    let done = appendBlock("memcmp.done")
    for i in 0..<count {
      let x = LLVMBuildZExt(m.builder, LLVMBuildLoad2(m.builder, m.i8, offset(a, i), "")!, m.i64, "")!
      let y = LLVMBuildZExt(m.builder, LLVMBuildLoad2(m.builder, m.i8, offset(b, i), "")!, m.i64, "")!
      let differ = appendBlock("memcmp.differ"), next = appendBlock("memcmp.next")
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, x, y, ""), differ, next)
      LLVMPositionBuilderAtEnd(m.builder, differ)
      store64(LLVMBuildSub(m.builder, x, y, "")!, at: result)
      LLVMBuildBr(m.builder, done)
      LLVMPositionBuilderAtEnd(m.builder, next)
    }
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    return load64(result)
  }
}
