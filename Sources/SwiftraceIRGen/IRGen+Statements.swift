import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  func emit(_ block: Block) {
    for stmt in block.statements {
      if oversized != nil { return }
      emit(stmt)
      guard stopWhenOversized else { continue }
      statementsSinceSizeCheck += 1
      if statementsSinceSizeCheck >= Self.statementsBetweenSizeChecks {
        statementsSinceSizeCheck = 0
        let count = instructionCount(function)
        if count > BPFSizeLimits.maxIRInstructions { oversized = (probe.index, count) }
      }
    }
  }

  func emit(_ stmt: Stmt) {
    withScratchScope { emitStatement(stmt) }
  }

  /// `expr;`: calls whose work is their effect, `c ? printf(...) : printf(...)` as an if/else,
  /// anything else evaluated for its side effects.
  func emitExpressionStatement(_ e: Expr) {
    if case .block(let block, let value) = e.kind {
      emit(block)
      return emitExpressionStatement(value)
    }
    if case .ternary(let condition, let then, let otherwise) = e.kind, checked.type(of: e) == .none {
      let isTrue = LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(condition), m.int(0), "")
      let thenBlock = appendBlock("cond.then")
      let elseBlock = appendBlock("cond.else")
      let end = appendBlock("cond.end")
      LLVMBuildCondBr(m.builder, isTrue, thenBlock, elseBlock)
      for (block, branch) in [(thenBlock, then), (elseBlock, otherwise)] {
        LLVMPositionBuilderAtEnd(m.builder, block)
        emitExpressionStatement(branch)
        branchIfOpen(to: end)
      }
      LLVMPositionBuilderAtEnd(m.builder, end)
      return
    }
    if case .call(_, let args) = e.kind, case .function(let f) = checked.callee(e) {
      switch f {
      case .printf, .cat, .system, .errorf, .warnf: return emitPrintf(args: args, call: e)
      case .exit: return emitExit(status: args.first)
      case .fail, .static_assert: return  // decided by the checker: nothing runs
      case .print, .clear, .zero, .time, .unwatch: return emitAction(args: args, call: e)
      case .join: return emitJoin(args: args, call: e)
      case .delete:
        _ = emitDelete(args: args, valueUsed: false)
        return
      case .debugf:
        // bpf_trace_printk: format, its size, then up to three 8-byte values (strings by address).
        guard case .buffer(let format, let size) = emitValue(args[0]) else { return }
        callHelper(.tracePrintk, [format, m.int(UInt64(size), m.i32)] + args.dropFirst().map(kernelFormatArgument))
        return
      case .signal, .signal_thread:
        // bpf_send_signal: to the current task's process; bpf_send_signal_thread: to the thread.
        let number = checked.constants[e.id].map { m.int($0) } ?? emitInteger(args[0])
        callHelper(f == .signal ? .sendSignal : .sendSignalThread, [LLVMBuildTrunc(m.builder, number, m.i32, "")!])
        return
      case .override:
        // bpf_override_return: the probed function returns this instead of running.
        callHelper(.overrideReturn, [bytePointer(context), emitInteger(args[0])])
        return
      case .str, .strncmp, .strcontains, .sizeof, .count, .sum, .min, .max, .avg, .stats, .hist, .lhist, .tseries, .strftime,
        .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack, .ustack, .buf, .reg, .cgroupid, .macaddr, .kptr, .uptr,
        .pton, .uaddr, .path, .cgroup_path, .skboutput, .is_err, .has_key, .strlen, .syscall_name, .getopt, .signal_name, .len, .strstr, .str_concat, .strcap, .find, .memcmp,
        .write_user, .socket_cookie, .comm, .percpu_kaddr:
        break  // values, evaluated below for what they do (skboutput() sends a packet)
      }
    }
    _ = emitValue(e)
  }

  private func emitStatement(_ stmt: Stmt) {
    setLocation(stmt.range)
    switch stmt.kind {
    case .expression(let e):
      emitExpressionStatement(e)
    case .assign(let target, let op, let value):
      emitAssignment(target: target, op: op, value: value)
    case .ifElse(let condition, let then, let elseBlock):
      let isTrue = LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(condition), m.int(0), "")
      let thenBlock = appendBlock("if.then")
      let elseBB = appendBlock("if.else")
      let end = appendBlock("if.end")
      LLVMBuildCondBr(m.builder, isTrue, thenBlock, elseBB)
      LLVMPositionBuilderAtEnd(m.builder, thenBlock)
      emit(then)
      branchIfOpen(to: end)
      LLVMPositionBuilderAtEnd(m.builder, elseBB)
      if let elseBlock { emit(elseBlock) }
      branchIfOpen(to: end)
      LLVMPositionBuilderAtEnd(m.builder, end)
    case .whileLoop(let condition, let body):
      // The kernel's verifier proves the loop bounded; a loop it cannot prove is rejected at load.
      let header = appendBlock("while.cond")
      let bodyBlock = appendBlock("while.body")
      let end = appendBlock("while.end")
      LLVMBuildBr(m.builder, header)
      LLVMPositionBuilderAtEnd(m.builder, header)
      let isTrue = withScratch { LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(condition), m.int(0), "")! }
      LLVMBuildCondBr(m.builder, isTrue, bodyBlock, end)
      LLVMPositionBuilderAtEnd(m.builder, bodyBlock)
      loops.append((header, end))
      emit(body)
      loops.removeLast()
      branchIfOpen(to: header)
      LLVMPositionBuilderAtEnd(m.builder, end)
    case .forRange(let variable, let start, let end, let body):
      if emitRangeLoopCallback(variable: variable, start: start, end: end, body: body, stmt) { return }
      // The count is kept on the stack, where the verifier sees it bounded even when the
      // variables live in map memory (a probe with loop callbacks); $i is set from it at each
      // iteration, so the body changing $i does not change the iterations.
      let counter = entryAlloca(m.i64, "for.index")
      store64(emitInteger(start), at: counter)
      let limit = scratch(8)  // the end is evaluated once
      store64(emitInteger(end), at: limit)
      let header = appendBlock("for.cond")
      let bodyBlock = appendBlock("for.body")
      let step = appendBlock("for.step")
      let exit = appendBlock("for.end")
      LLVMBuildBr(m.builder, header)
      LLVMPositionBuilderAtEnd(m.builder, header)
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntSLT, load64(counter), load64(limit), ""), bodyBlock, exit)
      LLVMPositionBuilderAtEnd(m.builder, bodyBlock)
      store64(load64(counter), at: variables[variable]!)
      loops.append((step, exit))
      emit(body)
      loops.removeLast()
      branchIfOpen(to: step)
      LLVMPositionBuilderAtEnd(m.builder, step)
      store64(LLVMBuildAdd(m.builder, load64(counter), m.int(1), ""), at: counter)
      LLVMBuildBr(m.builder, header)
      LLVMPositionBuilderAtEnd(m.builder, exit)
    case .forMap(let variable, let map, let body):
      emitMapLoop(variable: variable, map: map, body: body, stmt)
    case .unroll(let count, let body):
      guard let n = checked.constants[count.id] else { return }
      for _ in 0..<n { emit(body) }
    case .breakLoop, .continueLoop:
      guard let loop = loops.last else { return }
      let isBreak = { if case .breakLoop = stmt.kind { return true } else { return false } }()
      LLVMBuildBr(m.builder, isBreak ? loop.breakTarget : loop.continueTarget)
      LLVMPositionBuilderAtEnd(m.builder, appendBlock("after.jump"))
    case .returnProbe(let value):
      if probeContext == nil { callbackNeededProbe = true }  // a callback cannot end the probe
      let type = LLVMGetReturnType(LLVMGlobalGetValueType(function))!
      let result = value.map { LLVMBuildTrunc(m.builder, emitInteger($0), type, "")! } ?? LLVMConstNull(type)
      LLVMBuildRet(m.builder, result)
      LLVMPositionBuilderAtEnd(m.builder, appendBlock("after.return"))
    case .declare(let target, _, let value):
      if let value { return emitAssignment(target: target, op: nil, value: value) }
      // `let $x;`: zero from here on (a variable never assigned has no slot).
      guard case .variable(let name) = target.kind, let slot = variables[name],
        let type = checked.variables[probe.decl.id]?[name] else { return }
      zero(slot, bytes: type.storageSize)
    case .block(let block):
      emit(block)
    }
  }

  /// Evaluates `body` with its own temporaries, released afterwards (a loop condition).
  func withScratch<T>(_ body: () -> T) -> T {
    var result: T!
    withScratchScope { result = body() }
    return result
  }

  func branchIfOpen(to block: LLVMBasicBlockRef) {
    if LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(m.builder)) == nil { LLVMBuildBr(m.builder, block) }
  }

  func emitAssignment(target: Expr, op: BinaryOperator?, value: Expr) {
    switch target.kind {
    case .map(let name, let keys):
      let info = checked.map(named: name)!
      if case .call(_, let args) = value.kind, let aggregation = checked.callee(value).aggregation {
        emitAggregation(aggregation, args: args, map: info, keys: keys)
        return
      }
      let key = buildKey(info, keys)
      var newValue = emitValue(value)
      if let op {
        let old = readMap(info, key: key).integer
        newValue = .integer(arithmetic(op, old, scaledForPointer(newValue.integer, info.valueType), signed: info.valueType.isSigned))
      }
      writeMap(info, key: key, value: newValue, of: checked.type(of: value))
    case .variable(let name):
      let slot = variables[name]!
      let type = checked.variables[probe.decl.id]![name]!
      var newValue = emitValue(value)
      if let op {
        newValue = .integer(arithmetic(op, load64(slot), scaledForPointer(newValue.integer, type), signed: type.isSigned))
      }
      store(newValue, of: checked.type(of: value), into: slot, as: type)
    default:
      break
    }
  }

  /// `n` elements of what `target` points at, in bytes (`p += n`); `n` itself for an integer.
  func scaledForPointer(_ n: LLVMValueRef, _ target: SType) -> LLVMValueRef {
    let size = elementSize(target)
    return size == 1 ? n : LLVMBuildMul(m.builder, n, m.int(size), "")!
  }

  /// Stores an integer or copies a string (zero-padded) into a slot of `size` bytes.
  func store(_ value: IRValue, into slot: LLVMValueRef, size: Int) {
    switch value {
    case .integer(let v):
      store64(v, at: slot)
    case .buffer(let p, let n):
      if n < size { zero(slot, bytes: size) }
      copy(min(n, size), from: p, to: slot)
    }
  }

  /// Stores a value of type `from` into a slot laid out for `to`. They differ only in string sizes
  /// (strings widen to the longest use), which moves tuple elements: convert element by element.
  func store(_ value: IRValue, of from: SType, into slot: LLVMValueRef, as to: SType) {
    if case .record(let r, let space) = from, case .integer(let address) = value {
      copyRecord(r, from: address, space: space, into: slot)
      return
    }
    if from == .tracepointArgs, case .structValue(let layout) = to, case .integer(let address) = value {
      // A tracepoint's whole record (`print(args)`): its bytes, as the layout's offsets say.
      copyRecord(layout.record, from: address, space: .kernel, into: slot)
      return
    }
    if let bits = to.narrowBits, case .integer(let v) = value {
      store64(narrow(v, bits: bits, signed: to.isSigned), at: slot)
      return
    }
    guard case .tuple(let source) = from, case .tuple(let target) = to, source != target,
      case .buffer(let p, _) = value else {
      store(value, into: slot, size: to.storageSize)
      return
    }
    zero(slot, bytes: to.storageSize)
    let sourceOffsets = TupleLayout(source).offsets, targetOffsets = TupleLayout(target).offsets
    for i in source.indices {
      let element = packedValue(of: source[i], at: offset(p, sourceOffsets[i]))
      storePacked(element, of: source[i], into: offset(slot, targetOffsets[i]), as: target[i])
    }
  }

  /// Stores a tuple element at its place in the tuple's C layout: an integer in its own width,
  /// anything else in exactly its packed size (the next element may follow at once).
  func storePacked(_ value: IRValue, of from: SType, into slot: LLVMValueRef, as to: SType) {
    if case .integer(_, let bits) = to, case .integer(let v) = value {
      let type = LLVMIntTypeInContext(m.context, UInt32(bits))!
      let p = LLVMBuildBitCast(m.builder, slot, LLVMPointerType(type, 0), "")
      let narrow = bits == 64 ? v : LLVMBuildTrunc(m.builder, v, type, "")!
      LLVMSetAlignment(LLVMBuildStore(m.builder, narrow, p), UInt32(bits / 8))
      return
    }
    if case .record = from { return store(value, of: from, into: slot, as: to) }  // copies the struct's size
    if to.packedSize == to.storageSize || to.isTuple { return store(value, of: from, into: slot, as: to) }
    guard case .buffer(let p, let n) = value else { return store(value, of: from, into: slot, as: to) }
    copy(min(n, to.packedSize), from: p, to: slot)  // the slot was zeroed: a shorter string ends there
  }

  /// A tuple element read from its place in the tuple's C layout.
  func packedValue(of type: SType, at pointer: LLVMValueRef) -> IRValue {
    guard case .integer(let signed, let bits) = type, bits < 64 else { return elementValue(of: type, at: pointer) }
    let narrowType = LLVMIntTypeInContext(m.context, UInt32(bits))!
    let p = LLVMBuildBitCast(m.builder, pointer, LLVMPointerType(narrowType, 0), "")
    let v = LLVMBuildLoad2(m.builder, narrowType, p, "")!
    LLVMSetAlignment(v, UInt32(bits / 8))
    return .integer(signed ? LLVMBuildSExt(m.builder, v, m.i64, "")! : LLVMBuildZExt(m.builder, v, m.i64, "")!)
  }

  /// A value stored in memory at `pointer`, as an expression value of `type`.
  func elementValue(of type: SType, at pointer: LLVMValueRef) -> IRValue {
    switch type {
    case .string(let n): return .buffer(pointer, size: n)
    case .tuple, .buffer, .array, .structValue: return .buffer(pointer, size: type.storageSize)
    default: return .integer(load64(pointer))
    }
  }

  // MARK: printf and exit

  /// printf sends `{u64 id, args...}` through the ring buffer; userspace formats it.
  func emitPrintf(args: [Expr], call: Expr) {
    guard let id = checked.printfIDs[call.id] else { return }
    let info = checked.printfs[id]
    if case .iterator = probe.kind, info.kind == .printf { return emitSeqPrintf(args: args, id: id) }
    let event = scratch(info.eventSize)
    zero(event, bytes: info.eventSize)
    store64(m.int(UInt64(id)), at: offset(event, 0))
    for (arg, (type, at)) in zip(args.dropFirst(), zip(info.argumentTypes, info.argumentOffsets)) {
      store(emitValue(arg), into: offset(event, at), size: type.storageSize)
    }
    sendEvent(event, size: info.eventSize)
  }

  /// print, clear and zero: an event naming the action, with its operands.
  func emitAction(args: [Expr], call: Expr) {
    guard let id = checked.actionIDs[call.id] else { return }
    let action = checked.actions[id]
    let size = 8 + action.payloadSize
    let event = scratch(size)
    store64(m.int(AsyncEventID.actionBase + UInt64(id)), at: event)
    switch action {
    case .printMap:
      for (i, slot) in [8, 16].enumerated() {
        store64(i + 1 < args.count ? emitInteger(args[i + 1]) : m.int(0), at: offset(event, slot))
      }
    case .printValue(let type):
      store(emitValue(args[0]), of: checked.type(of: args[0]), into: offset(event, 8), as: type)
    case .unwatch:
      store64(emitInteger(args[0]), at: offset(event, 8))
    case .clearMap, .zeroMap, .time, .join:
      break
    }
    sendEvent(event, size: size)
  }

  /// delete(@m[key]) removes the entry now, in the probe; a one-entry array is zeroed instead.
  /// delete(): 1 if the key was there, 0 if not. `-k` reports a failure only where the value is
  /// not used (as bpftrace warns only then).
  func emitDelete(args: [Expr], valueUsed: Bool) -> LLVMValueRef {
    guard case .map(let name, var keys) = args[0].kind, let info = checked.map(named: name) else { return m.int(0) }
    if args.count == 2 { keys = [args[1]] }
    let key = buildKey(info, keys)
    if info.storage == .perCPUArray {
      let zeroValue = scratch(info.valueSize)
      zero(zeroValue, bytes: info.valueSize)
      update(info, key: key, value: zeroValue)
      return m.int(1)
    }
    let rc = callHelper(.mapDeleteElem, [mapPointer(info.name), key], reporting: !valueUsed)  // bpf_map_delete_elem
    return LLVMBuildZExt(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, rc, m.int(0), ""), m.i64, "")!
  }

  /// exit() raises the stop flag, so that no probe on any CPU starts again, tells userspace to stop,
  /// and ends this probe.
  /// exit([status]): the stop flag, then an event with the exit status (0 without one).
  func emitExit(status: Expr?) {
    let code = status.map(emitInteger) ?? m.int(0)
    let store = LLVMBuildStore(m.builder, m.int(1), stopped)!
    LLVMSetVolatile(store, 1)
    LLVMSetAlignment(store, 8)
    let event = scratch(16)
    store64(m.int(AsyncEventID.exit), at: event)
    store64(code, at: offset(event, 8))
    sendEvent(event, size: 16, wakeUp: true)
    // In a map loop's callback, returning 1 stops the iteration.
    let returnType = LLVMGetReturnType(LLVMGlobalGetValueType(function))!
    LLVMBuildRet(m.builder, returnType == m.i64 ? m.int(1) : m.int(0, m.i32))
    LLVMPositionBuilderAtEnd(m.builder, appendBlock("after.exit"))
  }

  /// bpf_ringbuf_output(map, data, size, flags); a full buffer refuses the event, which is counted.
  /// Events do not wake the reader (BPF_RB_NO_WAKEUP): waking it costs the probe more than the
  /// output itself when events are frequent, and the reader drains every few milliseconds anyway.
  /// exit() forces a wakeup (BPF_RB_FORCE_WAKEUP) so that stopping is immediate.
  func sendEvent(_ event: LLVMValueRef, size: Int, wakeUp: Bool = false) {
    let flags: UInt64 = wakeUp ? 2 : 1
    let rc = callHelper(.ringbufOutput, [bytePointer(ringBuffer), bytePointer(event), m.int(UInt64(size)), m.int(flags)])
    countLostEventIf(LLVMBuildICmp(m.builder, LLVMIntNE, rc, m.int(0), "")!)
  }

  /// Adds one to this CPU's lost-event count when `condition` holds.
  func countLostEventIf(_ condition: LLVMValueRef) {
    countIf(condition, in: lostEvents, index: 0, "event.lost")
  }

  /// Adds one to this CPU's slot `index` of the per-CPU array `counters` when `condition` holds
  /// (a cold branch: the common path only tests the condition).
  func countIf(_ condition: LLVMValueRef, in counters: LLVMValueRef, index: Int, _ name: String) {
    let counting = appendBlock(name), done = appendBlock(name + ".done")
    LLVMBuildCondBr(m.builder, condition, counting, done)
    LLVMPositionBuilderAtEnd(m.builder, counting)
    let key = scratch(8)
    store64(m.int(UInt64(index)), at: key)
    // bpf_map_lookup_elem on the per-CPU array
    let slot = callHelper(.mapLookupElem, [LLVMBuildBitCast(m.builder, counters, m.i8Ptr, "")!, bytePointer(key)], returns: m.i8Ptr)
    let found = appendBlock(name + ".count")
    LLVMBuildCondBr(m.builder, LLVMBuildIsNotNull(m.builder, slot, "")!, found, done)
    LLVMPositionBuilderAtEnd(m.builder, found)
    store64(LLVMBuildAdd(m.builder, load64(slot), m.int(1), "")!, at: slot)
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
  }
}
