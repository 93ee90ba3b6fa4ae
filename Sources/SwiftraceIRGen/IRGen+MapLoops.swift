import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// `for ($kv : @map) { body }` becomes bpf_for_each_map_elem(map, callback, NULL, 0): the body is a
/// callback function, and the probe's scratch variables live in its slot of the per-CPU `frames`
/// map, which the callback looks up too. `continue` returns 0 from the callback, `break` returns 1.
extension IRGenerator {
  func containsMapLoop(_ block: Block) -> Bool {
    block.statements.contains { stmt in
      switch stmt.kind {
      case .forMap: return true
      case .ifElse(_, let then, let otherwise): return containsMapLoop(then) || otherwise.map(containsMapLoop) == true
      case .whileLoop(_, let body), .unroll(_, let body), .forRange(_, _, _, let body): return containsMapLoop(body)
      default: return false
      }
    }
  }

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
    // bpf_for_each_map_elem (164)
    callHelper(164, [mapPointer(name), LLVMBuildBitCast(m.builder, callback, m.i8Ptr, ""), LLVMConstNull(m.i8Ptr),
                     m.int(0)])
  }

  /// Builds `long callback(map, key, value, frame)` holding the loop body, then returns to the probe.
  private func emitCallback(info: MapInfo, variable: String, body: Block, _ stmt: Stmt) -> LLVMValueRef {
    // Save the probe's generation state.
    let saved = (function, allocaBuilder, subprogram, context, variables, freeScratch, usedScratch, loops)
    let savedBlock = LLVMGetInsertBlock(m.builder)!
    let savedLocation = LLVMGetCurrentDebugLocation2(m.builder)
    defer {
      (function, allocaBuilder, subprogram, context, variables, freeScratch, usedScratch, loops) = saved
      LLVMPositionBuilderAtEnd(m.builder, savedBlock)
      LLVMSetCurrentDebugLocation2(m.builder, savedLocation)
    }

    callbackCount += 1
    let name = "p\(probe.index)_loop\(callbackCount)"
    var params: [LLVMTypeRef?] = [m.i8Ptr, m.i8Ptr, m.i8Ptr, m.i8Ptr]
    let fnType = LLVMFunctionType(m.i64, &params, 4, 0)!
    let callback = LLVMAddFunction(m.module, name, fnType)!
    LLVMSetLinkage(callback, LLVMInternalLinkage)
    function = callback
    subprogram = di.describeCallback(callback, name: name, line: line(of: stmt.range))
    let key = LLVMGetParam(callback, 1)!, value = LLVMGetParam(callback, 2)!

    let entry = LLVMAppendBasicBlockInContext(m.context, callback, "entry")
    let start = LLVMAppendBasicBlockInContext(m.context, callback, "body")
    LLVMPositionBuilderAtEnd(m.builder, entry)
    LLVMSetCurrentDebugLocation2(m.builder, nil)  // the probe's location belongs to another function
    let jump = LLVMBuildBr(m.builder, start)
    let builder = LLVMCreateBuilderInContext(m.context)!
    LLVMPositionBuilderBefore(builder, jump)
    LLVMSetCurrentDebugLocation2(builder, nil)
    allocaBuilder = builder
    defer { LLVMDisposeBuilder(builder) }
    LLVMPositionBuilderAtEnd(m.builder, start)
    setLocation(stmt.range)

    // The same variables, reached through this CPU's frame.
    guard let frame = lookupFrame(orReturn: m.int(1)) else { return callback }
    let layout = frameLayout((checked.variables[probe.decl.id] ?? [:]).sorted(by: { $0.key < $1.key }))
    variables = layout.offsets.mapValues { offset(frame, $0) }
    freeScratch = [:]
    usedScratch = []

    // $kv = (key, value): the map's key layout is the tuple's layout, so both copy as bytes.
    guard let kv = variables[variable] else { return callback }
    copy(info.keySize, from: key, to: kv)
    copy(info.valueSize, from: value, to: offset(kv, info.keySize))

    let next = appendBlock("loop.continue")
    let stop = appendBlock("loop.break")
    loops = [(next, stop)]
    emit(body)
    branchIfOpen(to: next)
    LLVMPositionBuilderAtEnd(m.builder, next)
    LLVMBuildRet(m.builder, m.int(0))
    LLVMPositionBuilderAtEnd(m.builder, stop)
    LLVMBuildRet(m.builder, m.int(1))
    return callback
  }
}
