import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// `for ($kv : @map) { body }` becomes bpf_for_each_map_elem(map, callback, NULL, 0), and
/// `for ($i : a..b) { body }` bpf_loop(b - a, callback, &a, 0): the body is a callback function,
/// and the probe's scratch variables live in its slot of the per-CPU `frames` map, which the
/// callback looks up too. `continue` returns 0 from the callback, `break` returns 1.
extension Stmt {
  var isCallbackLoop: Bool {
    switch kind {
    case .forMap, .forRange: return true
    default: return false
    }
  }
}

extension IRGenerator {
  func frameLayout(_ variables: [(key: String, value: SType)]) -> (offsets: [String: Int], size: Int) {
    var offsets: [String: Int] = [:]
    var size = 0
    for (name, type) in variables {
      offsets[name] = size
      size += max(8, type.storageSize)
    }
    return (offsets, size)
  }

  func emitMapLoop(variable: String, map: Expr, body: Block, _ stmt: Stmt) {
    guard case .map(let name, _) = map.kind, let info = checked.map(named: name) else { return }
    let callback = emitCallback(info: info, variable: variable, body: body, stmt)
    callHelper(.forEachMapElem, [mapPointer(name), LLVMBuildBitCast(m.builder, callback, m.i8Ptr, ""), LLVMConstNull(m.i8Ptr),
                     m.int(0)])
  }

  /// Builds `long callback(map, key, value, frame)` holding the loop body, then returns to the probe.
  private func emitCallback(info: MapInfo, variable: String, body: Block, _ stmt: Stmt) -> LLVMValueRef {
    callbackCount += 1
    return buildCallback(name: "p\(probe.index)_loop\(callbackCount)", parameters: ["map", "key", "value", "ctx"],
                         line: line(of: stmt.range)) { callback in
      setLocation(stmt.range)
      let key = LLVMGetParam(callback, 1)!, value = LLVMGetParam(callback, 2)!
      // $kv = (key, value): the map's key layout is the tuple's layout, so both copy as bytes.
      guard bindFrameVariables(), let kv = variables[variable] else { return }
      copy(info.keySize, from: key, to: kv)
      if info.valueType.foldedReadType != nil {
        // A per-CPU aggregation: the callback sees this CPU's slot; the entry is all CPUs' value.
        store64(readAggregation(info, key: key).integer, at: offset(kv, info.keySize))
      } else {
        copy(info.valueSize, from: value, to: offset(kv, info.keySize))
      }

      emitLoopBody(body)
    }
  }

  /// A loop callback's body: `continue` (or its end) returns 0 from the callback, `break` 1.
  private func emitLoopBody(_ body: Block) {
    let next = appendBlock("loop.continue")
    let stop = appendBlock("loop.break")
    loops = [(next, stop)]
    emit(body)
    branchIfOpen(to: next)
    LLVMPositionBuilderAtEnd(m.builder, next)
    LLVMBuildRet(m.builder, m.int(0))
    LLVMPositionBuilderAtEnd(m.builder, stop)
    LLVMBuildRet(m.builder, m.int(1))
  }

  /// In a loop callback: the variables its body uses, reached through this CPU's frame, in name
  /// order (a dictionary's order changes from run to run, and so would the IR). False when the
  /// frame's lookup failed (the callback then returns 1).
  private func bindFrameVariables() -> Bool {
    guard let frame = lookupFrame(orReturn: m.int(1)) else { return false }
    let layout = frameLayout(frameVariables(probe))
    variables = [:]
    for (name, at) in layout.offsets.sorted(by: { $0.key < $1.key }) { variables[name] = offset(frame, at) }
    return true
  }

  /// `for ($i : start..end)` as bpf_loop(end - start, callback, &start, 0), so that the verifier
  /// checks the body once rather than once per iteration (a body with a few calls, run 35 times,
  /// was too complex for it). A body that needs the probe's own function (its context, for args
  /// or stacks; `return`) cannot be a callback: false, and nothing is generated.
  func emitRangeLoopCallback(variable: String, start: Expr, end: Expr, body: Block, _ stmt: Stmt) -> Bool {
    guard frame != nil else { return false }
    callbackCount += 1
    let savedNeed = callbackNeededProbe
    callbackNeededProbe = false
    defer { callbackNeededProbe = savedNeed }
    let callback = buildCallback(name: "p\(probe.index)_range\(callbackCount)", parameters: ["index", "ctx"],
                                 line: line(of: stmt.range)) { callback in
      probeContext = nil
      setLocation(stmt.range)
      guard bindFrameVariables(), let counter = variables[variable] else { return }
      // $i = start + index; start is in the probe's stack, which the callback's ctx points to.
      let first = LLVMBuildLoad2(m.builder, m.i64, LLVMBuildBitCast(m.builder, LLVMGetParam(callback, 1), LLVMPointerType(m.i64, 0), ""), "")!
      let index = LLVMBuildPtrToInt(m.builder, LLVMGetParam(callback, 0), m.i64, "")
      store64(LLVMBuildAdd(m.builder, first, index, ""), at: counter)
      emitLoopBody(body)
    }
    guard !callbackNeededProbe else {
      LLVMDeleteFunction(callback)
      return false
    }
    // The bounds are evaluated once, in the probe; no iteration when end <= start.
    let first = entryAlloca(m.i64, "range.start")
    let from = emitInteger(start)
    LLVMBuildStore(m.builder, from, first)
    let last = emitInteger(end)
    let count = LLVMBuildSelect(m.builder, LLVMBuildICmp(m.builder, LLVMIntSLT, from, last, ""),
                                LLVMBuildSub(m.builder, last, from, ""), m.int(0), "")!
    // bpf_loop takes a u32 count and refuses more than 1 << 23 iterations: more is that many.
    let clamped = LLVMBuildSelect(m.builder, LLVMBuildICmp(m.builder, LLVMIntUGT, count, m.int(1 << 23), ""),
                                  m.int(1 << 23), count, "")!
    if LLVMIsConstant(clamped) != 0, LLVMConstIntGetZExtValue(clamped) == 0 {
      // Never runs (`5..1`). The kernel (6.18) would not check a callback that bpf_loop is known
      // to call 0 times, remove it as dead code and then fail: "No program to jit".
      LLVMDeleteFunction(callback)
      return true
    }
    callHelper(.loop, [LLVMBuildTrunc(m.builder, clamped, m.i32, "")!, LLVMBuildBitCast(m.builder, callback, m.i8Ptr, "")!,
                       bytePointer(first), m.int(0)])
    return true
  }

  /// `len(@m)`: bpf_for_each_map_elem answers how many entries it visited, with a callback that
  /// does nothing but go on.
  func countEntries(_ info: MapInfo) -> LLVMValueRef {
    callbackCount += 1
    let callback = buildCallback(name: "p\(probe.index)_count\(callbackCount)", parameters: ["map", "key", "value", "ctx"],
                                 line: line(of: currentRange)) { _ in
      LLVMBuildRet(m.builder, m.int(0))
    }
    return callHelper(.forEachMapElem, [mapPointer(info.name), LLVMBuildBitCast(m.builder, callback, m.i8Ptr, "")!,
                                        LLVMConstNull(m.i8Ptr), m.int(0)])
  }

  /// A static subprogram `long name(void *, ...)` that a helper calls back, generated by `body`
  /// (positioned in its first block) while the probe's generation state is set aside.
  func buildCallback(name: String, parameters: [String], line: UInt32,
                     body: (LLVMValueRef) -> Void) -> LLVMValueRef {
    let saved = (function, allocaBuilder, subprogram, probeContext, variables, freeScratch, usedScratch, loops, region)
    let savedBlock = LLVMGetInsertBlock(m.builder)!
    let savedLocation = LLVMGetCurrentDebugLocation2(m.builder)
    defer {
      (function, allocaBuilder, subprogram, probeContext, variables, freeScratch, usedScratch, loops, region) = saved
      LLVMPositionBuilderAtEnd(m.builder, savedBlock)
      LLVMSetCurrentDebugLocation2(m.builder, savedLocation)
    }
    var params = [LLVMTypeRef?](repeating: m.i8Ptr, count: parameters.count)
    let callback = LLVMAddFunction(m.module, name, LLVMFunctionType(m.i64, &params, UInt32(params.count), 0))!
    LLVMSetLinkage(callback, LLVMInternalLinkage)
    function = callback
    subprogram = di.describeCallback(callback, name: name, line: line, parameters: parameters)
    let entry = LLVMAppendBasicBlockInContext(m.context, callback, "entry")
    let start = LLVMAppendBasicBlockInContext(m.context, callback, "body")
    LLVMPositionBuilderAtEnd(m.builder, entry)
    LLVMSetCurrentDebugLocation2(m.builder, nil)  // the probe's location belongs to another function
    let jump = LLVMBuildBr(m.builder, start)
    let builder = LLVMCreateBuilderInContext(m.context)!
    LLVMPositionBuilderBefore(builder, jump)
    LLVMSetCurrentDebugLocation2(builder, nil)
    allocaBuilder = builder
    region = ScratchRegion()
    defer { LLVMDisposeBuilder(builder) }
    LLVMPositionBuilderAtEnd(m.builder, start)
    freeScratch = [:]
    usedScratch = []
    body(callback)
    return callback
  }
}
