import CLLVM
import SwiftraceSema

/// A count, sum, min, max or avg map read in a probe (bpftrace 0.20 and later): one slot per CPU,
/// folded as userspace folds them to print, so `if (@calls > 100)` sees what `print(@calls)` would.
/// bpf_loop(possible CPUs, callback, &state, 0): the callback looks up one CPU's slot with
/// bpf_map_lookup_percpu_elem and folds it into `state`, which lives on the probe's stack:
///   [key, padded to 8][first: sum, count or the best value][second: total or "one was set"]
extension IRGenerator {
  func readAggregation(_ info: MapInfo, key: LLVMValueRef) -> IRValue {
    let keyBytes = (info.keySize + 7) / 8 * 8
    let stateSize = keyBytes + 16
    let state = entryAlloca(LLVMArrayType(m.i8, UInt32(stateSize)), "aggregation.read")
    LLVMSetAlignment(state, 8)
    zero(bytePointer(state), bytes: stateSize)
    copy(info.keySize, from: key, to: bytePointer(state))
    callbackCount += 1
    let callback = buildCallback(name: "p\(probe.index)_read\(callbackCount)", parameters: ["cpu", "state"],
                                 line: line(of: currentRange)) { callback in
      let state = LLVMGetParam(callback, 1)!
      let cpu = LLVMBuildTrunc(m.builder, LLVMBuildPtrToInt(m.builder, LLVMGetParam(callback, 0), m.i64, ""), m.i32, "")!
      let slot = callHelper(.mapLookupPercpuElem, [mapPointer(info.name), state, cpu], returns: m.i8Ptr, reporting: false)
      let found = appendBlock("cpu.found")
      let next = appendBlock("cpu.next")
      LLVMBuildCondBr(m.builder, LLVMBuildIsNotNull(m.builder, slot, ""), found, next)
      LLVMPositionBuilderAtEnd(m.builder, found)
      fold(info.valueType, slot: slot, into: offset(state, keyBytes))
      LLVMBuildBr(m.builder, next)
      LLVMPositionBuilderAtEnd(m.builder, next)
      LLVMBuildRet(m.builder, m.int(0))
    }
    // Past 1 << 23 CPUs bpf_loop refuses (no machine has them).
    let cpus = LLVMBuildTrunc(m.builder, runFact(.possibleCPUs), m.i32, "")!
    callHelper(.loop, [cpus, LLVMBuildBitCast(m.builder, callback, m.i8Ptr, "")!, bytePointer(state), m.int(0)])
    let first = load64(offset(state, keyBytes)), second = load64(offset(state, keyBytes + 8))
    guard case .avg(let signed) = info.valueType else { return .integer(first) }
    // total / count, 0 for no count (as printing does).
    let nonzero = LLVMBuildICmp(m.builder, LLVMIntNE, first, m.int(0), "")!
    let divisor = LLVMBuildSelect(m.builder, nonzero, first, m.int(1), "")!
    let quotient = divide(second, divisor, remainder: false, signed: signed)
    return .integer(LLVMBuildSelect(m.builder, nonzero, quotient, m.int(0), "")!)
  }

  /// One CPU's slot folded into the state's two words.
  private func fold(_ type: SType, slot: LLVMValueRef, into acc: LLVMValueRef) {
    let b = m.builder
    switch type {
    case .count, .sum:
      store64(LLVMBuildAdd(b, load64(acc), load64(slot), ""), at: acc)
    case .avg:  // (count, total)
      store64(LLVMBuildAdd(b, load64(acc), load64(slot), ""), at: acc)
      store64(LLVMBuildAdd(b, load64(offset(acc, 8)), load64(offset(slot, 8)), ""), at: offset(acc, 8))
    case .min(let signed), .max(let signed):  // (value, set): a CPU that never set it does not count
      let value = load64(slot)
      let isSet = LLVMBuildICmp(b, LLVMIntNE, load64(offset(slot, 8)), m.int(0), "")!
      let haveOne = LLVMBuildICmp(b, LLVMIntNE, load64(offset(acc, 8)), m.int(0), "")!
      let isMin = { if case .min = type { return true } else { return false } }()
      let better: LLVMIntPredicate = isMin ? (signed ? LLVMIntSLT : LLVMIntULT) : (signed ? LLVMIntSGT : LLVMIntUGT)
      let improves = LLVMBuildOr(b, LLVMBuildNot(b, haveOne, ""), LLVMBuildICmp(b, better, value, load64(acc), ""), "")!
      let take = LLVMBuildAnd(b, isSet, improves, "")!
      store64(LLVMBuildSelect(b, take, value, load64(acc), "")!, at: acc)
      store64(LLVMBuildSelect(b, take, m.int(1), load64(offset(acc, 8)), "")!, at: offset(acc, 8))
    case .none, .integer, .bool, .string, .array, .buffer, .probe, .tracepointArgs, .tuple, .pointer, .record,
      .structValue, .symbol, .stats, .hist, .lhist, .tseries:
      break  // the checker lets only count, sum, min, max and avg be read
    }
  }
}
