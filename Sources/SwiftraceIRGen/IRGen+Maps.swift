import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  /// Builds the key on the stack: parts at their 8-byte aligned offsets, strings zero-padded so
  /// equal strings make equal keys. A scalar map's key is 0.
  func buildKey(_ info: MapInfo, _ keys: [Expr]) -> LLVMValueRef {
    if info.isScalar {
      let key = scratch(8)
      store64(m.int(0), at: key)  // also a valid 4-byte key 0 for the per-CPU array
      return key
    }
    let key = scratch(info.keySize)
    let padded = zip(info.keyTypes, keys).contains { type, expr in
      if case .string(let n) = checked.type(of: expr) { return n < type.storageSize }
      return false
    }
    if padded { zero(key, bytes: info.keySize) }
    for ((type, at), expr) in zip(zip(info.keyTypes, info.keyOffsets), keys) {
      let value = emitValue(expr)
      if case .buffer(let p, let n) = value {
        copy(min(n, type.storageSize), from: p, to: offset(key, at))
      } else {
        store64(value.integer, at: offset(key, at))
      }
    }
    return bytePointer(key)
  }

  /// bpf_map_lookup_elem (1): a pointer to the value, or null.
  func lookup(_ info: MapInfo, key: LLVMValueRef) -> LLVMValueRef {
    callHelper(1, [mapPointer(info.name), key], returns: m.i8Ptr)
  }

  /// bpf_map_update_elem (2) with BPF_ANY: on a per-CPU map this writes only this CPU's value.
  func update(_ info: MapInfo, key: LLVMValueRef, value: LLVMValueRef) {
    callHelper(2, [mapPointer(info.name), key, bytePointer(value), m.int(0)])
  }

  /// Branches on a lookup: `found` runs with the value pointer, `missing` without.
  func withLookup(_ info: MapInfo, key: LLVMValueRef, found: (LLVMValueRef) -> Void, missing: () -> Void) {
    let value = lookup(info, key: key)
    let foundBlock = appendBlock("map.found")
    let missingBlock = appendBlock("map.missing")
    let end = appendBlock("map.end")
    LLVMBuildCondBr(m.builder, LLVMBuildIsNotNull(m.builder, value, ""), foundBlock, missingBlock)
    LLVMPositionBuilderAtEnd(m.builder, foundBlock)
    found(value)
    LLVMBuildBr(m.builder, end)
    LLVMPositionBuilderAtEnd(m.builder, missingBlock)
    missing()
    LLVMBuildBr(m.builder, end)
    LLVMPositionBuilderAtEnd(m.builder, end)
  }

  /// A map's value, or zero (an empty string) when the key is absent.
  func readMap(_ info: MapInfo, key: LLVMValueRef) -> IRValue {
    if info.valueType.isString || info.valueType.isTuple {
      let result = scratch(info.valueSize)
      withLookup(info, key: key, found: { copy(info.valueSize, from: $0, to: result) },
                 missing: { zero(result, bytes: info.valueSize) })
      return elementValue(of: info.valueType, at: result)
    }
    let result = scratch(8)
    withLookup(info, key: key, found: { store64(load64($0), at: result) },
               missing: { store64(m.int(0), at: result) })
    return .integer(load64(result))
  }

  func writeMap(_ info: MapInfo, key: LLVMValueRef, value: IRValue, of type: SType) {
    let slot = scratch(info.valueSize)
    store(value, of: type, into: slot, as: info.valueType)
    update(info, key: key, value: slot)
  }

  /// count/sum/min/max/avg update this CPU's slot in place, or insert it when the key is new.
  func emitAggregation(_ f: Function, args: [Expr], map info: MapInfo, keys: [Expr]) {
    let key = buildKey(info, keys)
    let x = args.first.map(emitInteger) ?? m.int(1)
    let signed = info.valueType.isSigned
    let b = m.builder
    let missing: () -> Void
    if info.storage == .perCPUArray {
      missing = {}  // a one-entry array always has its element
    } else {
      missing = { [self] in
        let initial = scratch(info.valueSize)
        switch f {
        case .min, .max:  // (value, set)
          store64(x, at: offset(initial, 0))
          store64(m.int(1), at: offset(initial, 8))
        case .avg:  // (count, total)
          store64(m.int(1), at: offset(initial, 0))
          store64(x, at: offset(initial, 8))
        default:
          store64(x, at: offset(initial, 0))
        }
        update(info, key: key, value: initial)
      }
    }
    withLookup(info, key: key, found: { [self] value in
      switch f {
      case .count, .sum:
        store64(LLVMBuildAdd(b, load64(value), x, ""), at: value)
      case .avg:
        store64(LLVMBuildAdd(b, load64(offset(value, 0)), m.int(1), ""), at: offset(value, 0))
        store64(LLVMBuildAdd(b, load64(offset(value, 8)), x, ""), at: offset(value, 8))
      case .min, .max:
        let current = load64(offset(value, 0))
        let isSet = LLVMBuildICmp(b, LLVMIntNE, load64(offset(value, 8)), m.int(0), "")!
        let better: LLVMIntPredicate = f == .min ? (signed ? LLVMIntSLT : LLVMIntULT) : (signed ? LLVMIntSGT : LLVMIntUGT)
        let improves = LLVMBuildICmp(b, better, x, current, "")!
        let replace = LLVMBuildOr(b, LLVMBuildNot(b, isSet, ""), improves, "")!
        let write = appendBlock("minmax.write")
        let done = appendBlock("minmax.done")
        LLVMBuildCondBr(b, replace, write, done)
        LLVMPositionBuilderAtEnd(b, write)
        store64(x, at: offset(value, 0))
        store64(m.int(1), at: offset(value, 8))
        LLVMBuildBr(b, done)
        LLVMPositionBuilderAtEnd(b, done)
      default:
        break
      }
    }, missing: missing)
  }
}
