import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  /// Builds the key on the stack: parts at their 8-byte aligned offsets, strings zero-padded so
  /// equal strings make equal keys. A scalar map's key is 0.
  func buildKey(_ info: MapInfo, _ keys: [Expr]) -> LLVMValueRef {
    if info.isScalar && !info.valueType.hasSlotKey {
      let key = scratch(8)
      store64(m.int(0), at: key)  // also a valid 4-byte key 0 for the per-CPU array
      return key
    }
    // A tuple written out (`@m[(a, b)]`, `has_key(@m, (a, b))`): its items are the keys, stored
    // straight into the key, with no tuple built first.
    if keys.count == 1, case .tuple(let items) = keys[0].kind, items.count == info.keyTypes.count {
      return buildKey(info, items)
    }
    let key = scratch(info.keySize)
    if keys.count == 1, case .tuple(let elements) = checked.type(of: keys[0]) {
      // A tuple key: its elements, from the tuple's C layout into the key's 8-byte slots.
      guard case .buffer(let tuple, _) = emitValue(keys[0]) else { return bytePointer(key) }
      zero(key, bytes: info.keySize)
      let from = TupleLayout(elements).offsets
      for (i, (type, at)) in zip(info.keyTypes, info.keyOffsets).enumerated() where i < elements.count {
        let value = packedValue(of: elements[i], at: offset(tuple, from[i]))
        if case .buffer(let p, let n) = value {
          copy(min(n, type.storageSize), from: p, to: offset(key, at))
        } else {
          store64(value.integer, at: offset(key, at))
        }
      }
      return bytePointer(key)
    }
    let padded = zip(info.keyTypes, keys).contains { type, expr in
      switch checked.type(of: expr) {
      case .string(let n): return n < type.storageSize  // the bytes after the NUL are not written
      case let t where t.isArray: return t.byteSize < type.storageSize
      case let t where t.isBuffer: return t.storageSize < type.storageSize
      default: return false
      }
    }
    if padded { zero(key, bytes: info.keySize) }
    for ((type, at), expr) in zip(zip(info.keyTypes, info.keyOffsets), keys) {
      let value = emitValue(expr)
      if case .record(let r, let space) = checked.type(of: expr) {
        copyRecord(r, from: value.integer, space: space, into: offset(key, at))
      } else if checked.type(of: expr) == .tracepointArgs, case .structValue(let layout) = type {
        // `@m[args]`: the record, with the bytes no field covers (other registers, padding) zeroed,
        // so that equal arguments are one key.
        copyRecord(layout.record, from: value.integer, space: .kernel, into: offset(key, at))
        for gap in layout.gaps { zero(offset(key, at + gap.lowerBound), bytes: gap.count) }
      } else if case .buffer(let p, let n) = value {
        copy(min(n, type.storageSize), from: p, to: offset(key, at))
      } else {
        store64(value.integer, at: offset(key, at))
      }
    }
    return bytePointer(key)
  }

  /// bpf_map_lookup_elem: a pointer to the value, or null.
  func lookup(_ info: MapInfo, key: LLVMValueRef) -> LLVMValueRef {
    callHelper(.mapLookupElem, [mapPointer(info.name), key], returns: m.i8Ptr)
  }

  /// bpf_map_update_elem with BPF_ANY: on a per-CPU map this writes only this CPU's value.
  /// A failed insert into a hash map (it is full) is counted per map, so that the loss is reported.
  func update(_ info: MapInfo, key: LLVMValueRef, value: LLVMValueRef) {
    let rc = callHelper(.mapUpdateElem, [mapPointer(info.name), key, bytePointer(value), m.int(0)])
    if info.storage != .perCPUArray, let index = checked.maps.firstIndex(where: { $0.name == info.name }) {
      countIf(LLVMBuildICmp(m.builder, LLVMIntNE, rc, m.int(0), "")!, in: failedUpdates, index: index, "map.full")
    }
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
    if info.valueType.isAggregation { return readAggregation(info, key: key) }
    if info.valueType.isString || info.valueType.isTuple || info.valueType.isBuffer || info.valueType.storageSize > 8 {
      let result = scratch(info.valueSize)
      withLookup(info, key: key, found: { copy(info.valueSize, from: $0, to: result) },
                 missing: { zero(result, bytes: info.valueSize); reportMissingKey() })
      return elementValue(of: info.valueType, at: result)
    }
    let result = scratch(8)
    withLookup(info, key: key, found: { store64(load64($0), at: result) },
               missing: { store64(m.int(0), at: result); reportMissingKey() })
    return .integer(load64(result))
  }

  func writeMap(_ info: MapInfo, key: LLVMValueRef, value: IRValue, of type: SType) {
    let slot = scratch(info.valueSize)
    store(value, of: type, into: slot, as: info.valueType)
    update(info, key: key, value: slot)
  }

  /// count/sum/min/max/avg/stats update this CPU's slot in place, or insert it when the key is new.
  func emitAggregation(_ f: Aggregation, args: [Expr], map info: MapInfo, keys: [Expr]) {
    if info.valueType.isHistogram { return emitHistogram(args: args, map: info, keys: keys) }
    if case .tseries(let series) = info.valueType { return emitTimeSeries(series, args: args, map: info, keys: keys) }
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
        case .avg, .stats:  // (count, total)
          store64(m.int(1), at: offset(initial, 0))
          store64(x, at: offset(initial, 8))
        case .count, .sum, .hist, .lhist, .tseries:
          store64(x, at: offset(initial, 0))
        }
        update(info, key: key, value: initial)
      }
    }
    withLookup(info, key: key, found: { [self] value in
      switch f {
      case .count, .sum:
        store64(LLVMBuildAdd(b, load64(value), x, ""), at: value)
      case .avg, .stats:
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
      case .hist, .lhist, .tseries:
        break  // emitHistogram, emitTimeSeries
      }
    }, missing: missing)
  }

  /// hist and lhist count one event in the bucket of `x`: the bucket index completes the key.
  func emitHistogram(args: [Expr], map info: MapInfo, keys: [Expr]) {
    let x = emitInteger(args[0])
    let bucket: LLVMValueRef
    if case .lhist(let bounds) = info.valueType {
      bucket = linearBucket(x, bounds)
    } else if case .hist(let k) = info.valueType {
      bucket = log2Bucket(x, k: k)
    } else {
      bucket = log2Bucket(x)
    }
    if info.storage == .perCPUArray {
      // The bucket is the array index: every element exists, so one lookup and one add.
      let key = scratch(8)
      store64(bucket, at: key)
      withLookup(info, key: bytePointer(key), found: { [self] value in
        store64(LLVMBuildAdd(m.builder, load64(value), m.int(1), ""), at: value)
      }, missing: {})
      return
    }
    let key = buildKey(info, keys)
    store64(bucket, at: offset(key, info.bucketOffset))
    withLookup(info, key: key, found: { [self] value in
      store64(LLVMBuildAdd(m.builder, load64(value), m.int(1), ""), at: value)
    }, missing: { [self] in
      let initial = scratch(8)
      store64(m.int(1), at: initial)
      update(info, key: key, value: initial)
    })
  }

  /// tseries: the value goes to the slot of the current interval (its epoch, CLOCK_TAI over the
  /// interval, modulo the count), whose (value, meta, epoch) this CPU updates: the last value and
  /// its time; the sum; the minimum or maximum and whether one is set; the total and the count.
  /// A slot left from an older epoch starts again (bpftrace's layout and rules).
  func emitTimeSeries(_ series: TimeSeries, args: [Expr], map info: MapInfo, keys: [Expr]) {
    let b = m.builder
    let x = emitInteger(args[0])
    let now = callHelper(.ktimeGetTaiNs, [])
    let epoch = LLVMBuildUDiv(b, now, m.int(series.intervalNanoseconds), "")!
    let key = buildKey(info, keys)
    store64(LLVMBuildURem(b, epoch, m.int(UInt64(series.count)), "")!, at: offset(key, info.bucketOffset))
    withLookup(info, key: key, found: { [self] slot in
      let value = offset(slot, 0), meta = offset(slot, 8)
      let stale = LLVMBuildICmp(b, LLVMIntNE, load64(offset(slot, 16)), epoch, "")!
      switch series.function {
      case .last:
        store64(x, at: value)
        store64(now, at: meta)
      case .sum:
        store64(LLVMBuildAdd(b, LLVMBuildSelect(b, stale, m.int(0), load64(value), "")!, x, "")!, at: value)
      case .avg:
        store64(LLVMBuildAdd(b, LLVMBuildSelect(b, stale, m.int(0), load64(value), "")!, x, "")!, at: value)
        store64(LLVMBuildAdd(b, LLVMBuildSelect(b, stale, m.int(0), load64(meta), "")!, m.int(1), "")!, at: meta)
      case .min, .max:
        let fresh = LLVMBuildOr(b, stale, LLVMBuildICmp(b, LLVMIntEQ, load64(meta), m.int(0), "")!, "")!
        let better: LLVMIntPredicate = series.function == .min ? (series.signed ? LLVMIntSLT : LLVMIntULT)
          : (series.signed ? LLVMIntSGT : LLVMIntUGT)
        let take = LLVMBuildOr(b, fresh, LLVMBuildICmp(b, better, x, load64(value), "")!, "")!
        store64(LLVMBuildSelect(b, take, x, load64(value), "")!, at: value)
        store64(m.int(1), at: meta)
      }
      store64(epoch, at: offset(slot, 16))
    }, missing: { [self] in
      let initial = scratch(24)
      store64(x, at: offset(initial, 0))
      store64(series.function == .last ? now : series.function == .sum ? m.int(0) : m.int(1), at: offset(initial, 8))
      store64(epoch, at: offset(initial, 16))
      update(info, key: key, value: initial)
    })
  }

  /// 0 for x < 0, 1 for x == 0, else 2 + floor(log2(x)), found by halving the shift (no loop, no
  /// branches: six compare-and-selects).
  func log2Bucket(_ x: LLVMValueRef, k: Int = 0) -> LLVMValueRef {
    let b = m.builder
    var v = x, log = m.int(0)
    for shift in [32, 16, 8, 4, 2, 1] {
      let big = LLVMBuildICmp(b, LLVMIntUGE, v, m.int(UInt64(1) << UInt64(shift)), "")
      let amount = LLVMBuildSelect(b, big, m.int(shift), m.int(0), "")!
      v = LLVMBuildLShr(b, v, amount, "")!
      log = LLVMBuildAdd(b, log, amount, "")!
    }
    guard k > 0 else {
      var bucket = LLVMBuildAdd(b, log, m.int(2), "")!
      bucket = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, x, m.int(0), ""), m.int(1), bucket, "")!
      return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, m.int(0), ""), m.int(0), bucket, "")!
    }
    // bpftrace's log2(n, k): values below 2^k have a bucket each (n + 1); above, the power of two
    // and the k bits after the leading one: ((log - k + 1) << k) + those bits + 1.
    let mask = m.int(UInt64(1) << UInt64(k) - 1)
    let shift = LLVMBuildSub(b, log, m.int(UInt64(k)), "")!
    let bits = LLVMBuildAnd(b, LLVMBuildLShr(b, x, shift, "")!, mask, "")!
    let high = LLVMBuildAdd(b, LLVMBuildAdd(b, LLVMBuildShl(b, LLVMBuildAdd(b, shift, m.int(1), "")!, m.int(UInt64(k)), "")!, bits, "")!,
                            m.int(1), "")!
    let small = LLVMBuildAdd(b, x, m.int(1), "")!
    let bucket = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULE, x, mask, ""), small, high, "")!
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, m.int(0), ""), m.int(0), bucket, "")!
  }

  /// 0 below min, the last bucket from max on, else 1 + (x - min) / step.
  func linearBucket(_ x: LLVMValueRef, _ bounds: LinearBuckets) -> LLVMValueRef {
    let b = m.builder
    let lo = m.int(Int(bounds.min)), hi = m.int(Int(bounds.max))
    let inRange = LLVMBuildAdd(b, LLVMBuildUDiv(b, LLVMBuildSub(b, x, lo, ""), m.int(Int(bounds.step)), ""),
                               m.int(1), "")!
    let last = m.int(bounds.bucketCount - 1)
    let capped = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGE, x, hi, ""), last, inRange, "")!
    return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, x, lo, ""), m.int(0), capped, "")!
  }
}
