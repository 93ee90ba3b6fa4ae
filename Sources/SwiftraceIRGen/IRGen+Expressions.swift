import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// An expression's value: an i64, or a string in a stack buffer.
enum IRValue {
  case integer(LLVMValueRef)
  case buffer(LLVMValueRef, size: Int)

  var integer: LLVMValueRef {
    guard case .integer(let v) = self else { fatalError("the type checker let a string through as an integer") }
    return v
  }
}

extension IRGenerator {
  func emitInteger(_ e: Expr) -> LLVMValueRef { emitValue(e).integer }

  func emitValue(_ e: Expr) -> IRValue {
    // A helper that fails inside this expression (`-k`) is reported at it, not at its statement.
    let statementRange = currentRange
    currentRange = e.range
    defer { currentRange = statementRange }
    switch e.kind {
    case .integer(let v):
      return .integer(m.int(v))
    case .string(let s):
      return constantString(s)
    case .boolean(let b):
      return .integer(m.int(b ? 1 : 0))
    case .builtin(let name):
      if let value = checked.constants[e.id] { return .integer(m.int(value)) }  // a macro or enum value
      return emitBuiltin(Builtin(rawValue: name)!, e)
    case .positional(let n):
      if let value = parameterValue(n) { return .integer(value) }
      let text = n <= checked.positionalParameters.count ? checked.positionalParameters[n - 1] : "0"
      let v = TypeChecker.integerParameter(text)
      return .integer(m.int(UInt64(bitPattern: v ?? 0)))
    case .positionalCount:
      return .integer(m.int(UInt64(checked.positionalParameters.count)))
    case .variable(let name):
      return elementValue(of: checked.type(of: e), at: bytePointer(variables[name]!))
    case .map(let name, let keys):
      let info = checked.map(named: name)!
      return readMap(info, key: buildKey(info, keys))
    case .call(_, let args):
      let f: Function
      switch checked.callee(e) {
      case .builtin(let builtin):
        if let value = checked.constants[e.id] { return .integer(m.int(value)) }
        return emitBuiltin(builtin, e)
      case .function(let function): f = function
      }
      switch f {
      case .str:
        return emitStr(args, e)
      case .buf:
        return emitBuf(args, e)
      case .uaddr:
        if let distance = checked.relativeAddresses[e.id] {
          // The instruction pointer at a uprobe's function entry or a usdt site, plus the distance.
          return .integer(LLVMBuildAdd(m.builder, load64(offset(context, Registers.instructionPointerOffset)),
                                       m.int(UInt64(bitPattern: distance)), "")!)
        }
        return .integer(m.int(checked.constants[e.id] ?? 0))
      case .path:
        guard case .string(let size) = checked.type(of: e) else { return .integer(m.int(0)) }
        let buffer = scratch(size)
        zero(buffer, bytes: size)
        callHelper(.dPath, [LLVMBuildIntToPtr(m.builder, emitInteger(args[0]), m.i8Ptr, "")!, bytePointer(buffer),
                         m.int(UInt64(size), m.i32)])
        return .buffer(bytePointer(buffer), size: size)
      case .pton:
        return constantBytes(checked.byteConstants[e.id] ?? [])
      case .skboutput:
        return emitSkbOutput(args, e)
      case .kptr, .uptr:
        return .integer(emitInteger(args[0]))
      case .kaddr:
        return .integer(kernelSymbolAddress(args[0], e))
      case .sizeof, .cgroupid:
        return .integer(m.int(checked.constants[e.id] ?? 0))
      case .reg:
        return .integer(load64(offset(context, Int(checked.constants[e.id] ?? 0))))
      case .macaddr:
        return emitMacAddress(args[0])
      case .strftime, .ksym, .usym, .ntop, .bswap, .strerror, .cgroup_path, .kstack, .ustack, .syscall_name, .signal_name:
        return emitSymbolFunction(f, args, e)
      case .getopt:
        // Known when compiling: the option given, or its default.
        if checked.type(of: e).isString { return constantBytes(checked.byteConstants[e.id] ?? []) }
        return .integer(m.int(checked.constants[e.id] ?? 0))
      case .strcontains:
        guard case .buffer(let h, let nh) = emitValue(args[0]), case .buffer(let n, let nn) = emitValue(args[1]) else {
          return .integer(m.int(0))
        }
        return .integer(stringContains(h, nh, n, nn))
      case .has_key:
        guard case .map(let name, _) = args[0].kind, let info = checked.map(named: name) else { return .integer(m.int(0)) }
        let found = LLVMBuildIsNotNull(m.builder, lookup(info, key: buildKey(info, [args[1]])), "")
        return .integer(LLVMBuildZExt(m.builder, found, m.i64, "")!)
      case .strstr:
        guard case .buffer(let h, let nh) = emitValue(args[0]), case .buffer(let n, let nn) = emitValue(args[1]) else {
          return .integer(m.int(0))
        }
        return .integer(stringSearch(h, nh, n, nn))
      case .strcap:
        return .integer(m.int(checked.constants[e.id] ?? 0))
      case .find:
        guard case .map(let name, _) = args[0].kind, let info = checked.map(named: name),
          case .variable(let variable) = args[2].kind, let slot = variables[variable] else { return .integer(m.int(0)) }
        let value = lookup(info, key: buildKey(info, [args[1]]))
        let found = LLVMBuildIsNotNull(m.builder, value, "")!
        let copyBlock = appendBlock("find.found"), done = appendBlock("find.done")
        LLVMBuildCondBr(m.builder, found, copyBlock, done)
        LLVMPositionBuilderAtEnd(m.builder, copyBlock)
        copy(info.valueSize, from: value, to: slot)
        LLVMBuildBr(m.builder, done)
        LLVMPositionBuilderAtEnd(m.builder, done)
        return .integer(LLVMBuildZExt(m.builder, found, m.i64, "")!)
      case .memcmp:
        guard case .buffer(let a, _) = emitValue(args[0]), case .buffer(let b, _) = emitValue(args[1]) else {
          return .integer(m.int(0))
        }
        return .integer(compareBytes(a, b, count: Int(checked.constants[args[2].id] ?? 0)))
      case .str_concat:
        return emitStringConcat(args, e)
      case .len:
        if case .symbol(let kind) = checked.type(of: args[0]) { return .integer(stackDepth(kind)) }
        guard case .map(let name, _) = args[0].kind, let info = checked.map(named: name) else { return .integer(m.int(0)) }
        return .integer(countEntries(info))
      case .write_user:
        return .integer(writeUser(args))
      case .comm:
        guard let chain = checked.fieldChains[e.id], chain.count == 1 else { return .integer(m.int(0)) }
        return .buffer(emitCommOfPid(emitInteger(args[0]), comm: chain[0]), size: 16)
      case .percpu_kaddr:
        guard let variable = checked.kernelVariables[e.id] else { return .integer(m.int(0)) }
        return .integer(perCPUAddress(of: variable, cpu: args.count > 1 ? emitInteger(args[1]) : nil))
      case .socket_cookie:
        // bpf_get_socket_cookie on the BTF-typed pointer as the context holds it (the verifier
        // takes no other).
        return .integer(callHelper(.getSocketCookie, [LLVMBuildIntToPtr(m.builder, emitInteger(args[0]), m.i8Ptr, "")!]))
      case .strlen:
        guard case .buffer(let p, let n) = emitValue(args[0]) else { return .integer(m.int(0)) }
        return .integer(stringLength(p, n))
      case .is_err:
        // The kernel's IS_ERR(): the last 4095 values of the address space are error codes.
        let isError = LLVMBuildICmp(m.builder, LLVMIntUGE, emitInteger(args[0]), m.int(UInt64(bitPattern: -4095)), "")
        return .integer(LLVMBuildZExt(m.builder, isError, m.i64, "")!)
      case .strncmp:
        // bpftrace's strncmp: 0 when the first n characters are equal, 1 otherwise.
        guard case .buffer(let a, let na) = emitValue(args[0]), case .buffer(let b, let nb) = emitValue(args[1]),
          let n = checked.constants[args[2].id] else { return .integer(m.int(0)) }
        let equal = stringsEqual(a, na, b, nb, limit: Int(min(n, 1 << 20)))
        return .integer(LLVMBuildXor(m.builder, equal, m.int(1), "")!)
      case .delete:
        return .integer(emitDelete(args: args, valueUsed: true))
      case .printf, .exit, .print, .clear, .zero, .time, .join, .cat, .system, .signal,
        .override, .debugf, .unwatch, .errorf, .warnf, .signal_thread, .fail, .static_assert:
        // Statements: the checker refuses them where a value is wanted; emitExpressionStatement
        // lowers them.
        return .integer(m.int(0))
      case .count, .sum, .min, .max, .avg, .stats, .hist, .lhist, .tseries:
        // Map updates: the checker allows them only as what a map is assigned; emitAssignment
        // lowers them.
        return .integer(m.int(0))
      }
    case .unary(let op, let operand):
      let v = emitInteger(operand)
      switch op {
      case .negate: return .integer(LLVMBuildNeg(m.builder, v, ""))
      case .bitNot: return .integer(LLVMBuildNot(m.builder, v, ""))
      case .logicalNot:
        return .integer(LLVMBuildZExt(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, v, m.int(0), ""), m.i64, ""))
      }
    case .binary(let op, let lhs, let rhs):
      if op.isLogical { return .integer(emitLogical(op, lhs, rhs)) }
      if case .buffer(let a, let na) = emitValueIfString(lhs), case .buffer(let b, let nb) = emitValueIfString(rhs) {
        let equal = stringsEqual(a, na, b, nb, limit: nil)
        return .integer(op == .equal ? equal : LLVMBuildXor(m.builder, equal, m.int(1), "")!)
      }
      // Arrays (same type) and buffers (an 8-byte length, then zero-padded bytes) compare as words.
      let operands = (checked.type(of: lhs), checked.type(of: rhs))
      if operands.0.isArray || operands.0.isBuffer && operands.1.isBuffer,
        case .buffer(let a, let na) = emitValue(lhs), case .buffer(let b, let nb) = emitValue(rhs) {
        let equal = wordsEqual(a, b, bytes: min(na, nb))
        return .integer(op == .equal ? equal : LLVMBuildXor(m.builder, equal, m.int(1), "")!)
      }
      if let pointer = emitPointerArithmetic(op, lhs, rhs) { return .integer(pointer) }
      let signed = checked.type(of: lhs).isSigned && checked.type(of: rhs).isSigned
      return .integer(arithmetic(op, emitInteger(lhs), emitInteger(rhs), signed: signed))
    case .incrementDecrement(let increment, let prefix, let target):
      return .integer(emitIncrement(increment: increment, prefix: prefix, target))
    case .field(let base, let name, _):
      if checked.type(of: base) == .tracepointArgs { return emitTracepointField(name, e) }
      return emitMemberAccess(base: base, e)
    case .pointerCast(_, _, let operand):
      return .integer(emitInteger(operand))
    case .addressOf(let operand):
      // `&@m`: the map's address, which the loader makes the kernel's struct bpf_map. The
      // verifier refuses arithmetic on a map pointer, so the address is copied out by a helper,
      // which makes it a plain number that member accesses can follow like any kernel pointer.
      if case .map(let name, _) = operand.kind, let map = mapGlobals[name] {
        let slot = scratch(8), copy = scratch(8)
        store64(LLVMBuildPtrToInt(m.builder, map, m.i64, "")!, at: slot)
        callHelper(.probeReadKernel, [copy, m.int(8, m.i32), slot], reporting: false)
        return .integer(load64(copy))
      }
      // Variables hold 8-byte integers (narrow ones extended), so the pointee is 8 bytes wide.
      guard case .variable(let name) = operand.kind, let slot = variables[name] else { return .integer(m.int(0)) }
      return .integer(LLVMBuildPtrToInt(m.builder, slot, m.i64, "")!)
    case .dereference(let operand):
      return emitDereference(operand, e)
    case .sizeofType, .offsetof:
      return .integer(m.int(checked.constants[e.id] ?? 0))
    case .typeArgument:
      return .integer(m.int(0))  // refused by the checker
    case .index(let base, let index):
      return emitIndex(base, index, e)
    case .tuple(let items):
      let type = checked.type(of: e)
      guard case .tuple(let elements) = type else { return .integer(m.int(0)) }
      let slot = scratch(type.storageSize)
      zero(slot, bytes: type.storageSize)  // padding too: equal tuples are equal keys
      for ((item, elementType), at) in zip(zip(items, elements), TupleLayout(elements).offsets) {
        storePacked(emitValue(item), of: checked.type(of: item), into: offset(slot, at), as: elementType)
      }
      return .buffer(slot, size: type.storageSize)
    case .record(_, let values):
      guard case .structValue(let layout) = checked.type(of: e) else { return .integer(m.int(0)) }
      let size = checked.type(of: e).storageSize
      let slot = scratch(size)
      zero(slot, bytes: size)
      for (field, value) in zip(layout.fields, values) {
        storePacked(emitValue(value), of: checked.type(of: value), into: offset(slot, field.field.offset), as: field.type)
      }
      return .buffer(slot, size: size)
    case .tupleIndex(let base, let index):
      guard case .tuple(let elements) = checked.type(of: base), case .buffer(let p, _) = emitValue(base) else {
        return .integer(m.int(0))
      }
      return packedValue(of: elements[index], at: offset(p, TupleLayout(elements).offsets[index]))
    case .ternary(let condition, let then, let otherwise):
      return emitTernary(condition, then, otherwise, type: checked.type(of: e))
    case .cast(let type, let operand):
      return emitCast(type, operand, e)
    case .block(let block, let value):
      emit(block)
      return emitValue(value)
    }
  }

  /// A value cast: integers narrowed; a bool is whether the value is not 0; an integer's bytes
  /// become an array (in a buffer of its own) and an array's bytes an integer.
  func emitCast(_ type: CastType, _ operand: Expr, _ e: Expr) -> IRValue {
    switch type {
    case .parameter:
      return .integer(m.int(0))  // refused by the checker
    case .typeOf:
      // The checker resolved it to the cast's own type.
      switch checked.type(of: e) {
      case .integer(let signed, let bits): return emitCast(.integer(IntegerType(bits: bits, signed: signed)), operand, e)
      case .bool: return emitCast(.bool, operand, e)
      case .array(.integer(let signed, let bits), let count):
        return emitCast(.array(IntegerType(bits: bits, signed: signed), count: count), operand, e)
      case .pointer: return .integer(emitInteger(operand))  // a pointer cast: the address as it is
      default: return .integer(m.int(0))
      }
    case .integer(let integer):
      if case .array = checked.type(of: operand) {
        guard case .buffer(let p, _) = emitValue(operand) else { return .integer(m.int(0)) }
        let word = LLVMBuildLoad2(m.builder, LLVMIntTypeInContext(m.context, UInt32(integer.bits)),
                                  LLVMBuildBitCast(m.builder, p, LLVMPointerType(LLVMIntTypeInContext(m.context, UInt32(integer.bits)), 0), ""), "")!
        LLVMSetAlignment(word, 1)
        return .integer(integer.signed ? LLVMBuildSExt(m.builder, word, m.i64, "")! : LLVMBuildZExt(m.builder, word, m.i64, "")!)
      }
      let v = emitInteger(operand)
      return .integer(integer.bits == 64 ? v : narrow(v, bits: integer.bits, signed: integer.signed))
    case .bool:
      return .integer(LLVMBuildZExt(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(operand), m.int(0), ""), m.i64, "")!)
    case .enumeration:
      return .integer(emitInteger(operand))  // the same number, printed by name
    case .array:
      let type = checked.type(of: e)
      var v = emitInteger(operand)
      if type.byteSize < 8 { v = LLVMBuildAnd(m.builder, v, m.int((1 << UInt64(8 * type.byteSize)) - 1), "") }
      let slot = scratch(max(8, type.storageSize))
      zero(slot, bytes: max(8, type.storageSize))
      store64(v, at: slot)
      return .buffer(bytePointer(slot), size: type.storageSize)
    }
  }

  /// `v` truncated to `bits` and extended back to 64 bits: how narrow integers are kept in registers.
  func narrow(_ v: LLVMValueRef, bits: Int, signed: Bool) -> LLVMValueRef {
    let short = LLVMBuildTrunc(m.builder, v, LLVMIntTypeInContext(m.context, UInt32(bits)), "")
    return signed ? LLVMBuildSExt(m.builder, short, m.i64, "") : LLVMBuildZExt(m.builder, short, m.i64, "")
  }

  /// The value of a string-typed expression; `.integer(0)` (unused) for anything else.
  func emitValueIfString(_ e: Expr) -> IRValue {
    checked.type(of: e).isString ? emitValue(e) : .integer(m.int(0))
  }

  /// `c ? a : b` evaluates only the branch taken; strings are copied into one result buffer.
  func emitTernary(_ condition: Expr, _ then: Expr, _ otherwise: Expr, type: SType) -> IRValue {
    let isTrue = LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(condition), m.int(0), "")!
    let thenBlock = appendBlock("cond.true")
    let elseBlock = appendBlock("cond.false")
    let end = appendBlock("cond.end")
    let size = max(8, type.storageSize)
    let result = scratch(size)
    LLVMBuildCondBr(m.builder, isTrue, thenBlock, elseBlock)
    for (block, branch) in [(thenBlock, then), (elseBlock, otherwise)] {
      LLVMPositionBuilderAtEnd(m.builder, block)
      store(emitValue(branch), of: checked.type(of: branch), into: result, as: type)
      LLVMBuildBr(m.builder, end)
    }
    LLVMPositionBuilderAtEnd(m.builder, end)
    return elementValue(of: type, at: result)
  }

  /// 1 if two zero-padded buffers of `bytes` (a multiple of 8) hold the same bytes, else 0.
  func wordsEqual(_ a: LLVMValueRef, _ b: LLVMValueRef, bytes: Int) -> LLVMValueRef {
    var difference = m.int(0)
    for at in stride(from: 0, to: bytes, by: 8) {
      let x = load64(offset(a, at)), y = load64(offset(b, at))
      difference = LLVMBuildOr(m.builder, difference, LLVMBuildXor(m.builder, x, y, ""), "")!
    }
    return LLVMBuildZExt(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, difference, m.int(0), ""), m.i64, "")!
  }

  /// 1 if the NUL-terminated strings in two buffers are equal (within `limit` bytes), else 0.
  /// Unrolled byte by byte: the buffers have compile-time sizes, and the verifier sees no loop.
  func stringsEqual(_ a: LLVMValueRef, _ na: Int, _ b: LLVMValueRef, _ nb: Int, limit: Int?) -> LLVMValueRef {
    let result = scratch(8)
    store64(m.int(0), at: result)
    let equal = appendBlock("streq.equal")
    let done = appendBlock("streq.done")
    let n = min(na, nb, limit ?? Int.max)
    func byte(_ p: LLVMValueRef, _ i: Int) -> LLVMValueRef { LLVMBuildLoad2(m.builder, m.i8, offset(p, i), "")! }
    for i in 0..<n {
      let x = byte(a, i), y = byte(b, i)
      let same = appendBlock("streq.same")
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, x, y, ""), done, same)
      LLVMPositionBuilderAtEnd(m.builder, same)
      let next = appendBlock("streq.next")
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, x, m.int(0, m.i8), ""), equal, next)
      LLVMPositionBuilderAtEnd(m.builder, next)
    }
    // All n bytes matched without a NUL: equal if the limit was reached or the buffers end here,
    // otherwise the longer string must end at byte n.
    if limit.map({ n >= $0 }) == true || na == nb {
      LLVMBuildBr(m.builder, equal)
    } else {
      let tail = byte(na > nb ? a : b, n)
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, tail, m.int(0, m.i8), ""), equal, done)
    }
    LLVMPositionBuilderAtEnd(m.builder, equal)
    store64(m.int(1), at: result)
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    return load64(result)
  }

  /// The bytes before the first NUL of the N at P (N when there is none), a comparison per byte
  /// as `stringsEqual` does.
  func stringLength(_ p: LLVMValueRef, _ n: Int) -> LLVMValueRef {
    let result = scratch(8)
    store64(m.int(UInt64(n)), at: result)
    let done = appendBlock("strlen.done")
    for i in 0..<n {
      let found = appendBlock("strlen.found"), next = appendBlock("strlen.next")
      let byte = LLVMBuildLoad2(m.builder, m.i8, offset(p, i), "")!
      LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntEQ, byte, m.int(0, m.i8), ""), found, next)
      LLVMPositionBuilderAtEnd(m.builder, found)
      store64(m.int(UInt64(i)), at: result)
      LLVMBuildBr(m.builder, done)
      LLVMPositionBuilderAtEnd(m.builder, next)
    }
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    return load64(result)
  }

  func constantString(_ s: String) -> IRValue { constantBytes(s.rawBytes + [0]) }

  /// Bytes known when compiling, stored into a stack slot.
  func constantBytes(_ bytes: [UInt8]) -> IRValue {
    let slot = scratch(bytes.count)
    let constant = bytes.withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: CChar.self) { LLVMConstStringInContext(m.context, $0.baseAddress, UInt32(bytes.count), 1) }
    }
    let typed = LLVMBuildBitCast(m.builder, slot, LLVMPointerType(LLVMTypeOf(constant), 0), "")
    LLVMSetAlignment(LLVMBuildStore(m.builder, constant, typed), 8)
    return .buffer(slot, size: bytes.count)
  }

  /// `&&` and `||` evaluate their right side only when needed, and produce 0 or 1.
  func emitLogical(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr) -> LLVMValueRef {
    let left = LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(lhs), m.int(0), "")!
    let leftBlock = LLVMGetInsertBlock(m.builder)!
    let rightBlock = appendBlock(op == .logicalAnd ? "and.rhs" : "or.rhs")
    let end = appendBlock(op == .logicalAnd ? "and.end" : "or.end")
    if op == .logicalAnd {
      LLVMBuildCondBr(m.builder, left, rightBlock, end)
    } else {
      LLVMBuildCondBr(m.builder, left, end, rightBlock)
    }
    LLVMPositionBuilderAtEnd(m.builder, rightBlock)
    let right = LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(rhs), m.int(0), "")!
    let rightEnd = LLVMGetInsertBlock(m.builder)!
    LLVMBuildBr(m.builder, end)
    LLVMPositionBuilderAtEnd(m.builder, end)
    let phi = LLVMBuildPhi(m.builder, m.i1, "")!
    var values: [LLVMValueRef?] = [LLVMConstInt(m.i1, op == .logicalAnd ? 0 : 1, 0), right]
    var blocks: [LLVMBasicBlockRef?] = [leftBlock, rightEnd]
    LLVMAddIncoming(phi, &values, &blocks, 2)
    return LLVMBuildZExt(m.builder, phi, m.i64, "")
  }

  func arithmetic(_ op: BinaryOperator, _ l: LLVMValueRef, _ r: LLVMValueRef, signed: Bool) -> LLVMValueRef {
    let b = m.builder
    func compare(_ s: LLVMIntPredicate, _ u: LLVMIntPredicate) -> LLVMValueRef {
      LLVMBuildZExt(b, LLVMBuildICmp(b, signed ? s : u, l, r, ""), m.i64, "")
    }
    switch op {
    case .add: return LLVMBuildAdd(b, l, r, "")
    case .subtract: return LLVMBuildSub(b, l, r, "")
    case .multiply: return LLVMBuildMul(b, l, r, "")
    case .divide, .remainder: return divide(l, r, remainder: op == .remainder, signed: signed)
    case .bitAnd: return LLVMBuildAnd(b, l, r, "")
    case .bitOr: return LLVMBuildOr(b, l, r, "")
    case .bitXor: return LLVMBuildXor(b, l, r, "")
    // Shifts by 64 or more are undefined in LLVM; mask like the hardware does.
    case .shiftLeft: return LLVMBuildShl(b, l, LLVMBuildAnd(b, r, m.int(63), ""), "")
    case .shiftRight:
      let amount = LLVMBuildAnd(b, r, m.int(63), "")
      return signed ? LLVMBuildAShr(b, l, amount, "") : LLVMBuildLShr(b, l, amount, "")
    case .equal: return compare(LLVMIntEQ, LLVMIntEQ)
    case .notEqual: return compare(LLVMIntNE, LLVMIntNE)
    case .less: return compare(LLVMIntSLT, LLVMIntULT)
    case .lessEqual: return compare(LLVMIntSLE, LLVMIntULE)
    case .greater: return compare(LLVMIntSGT, LLVMIntUGT)
    case .greaterEqual: return compare(LLVMIntSGE, LLVMIntUGE)
    case .logicalAnd, .logicalOr: fatalError("logical operators are emitted by emitLogical")
    }
  }

  /// BPF (v3) has only unsigned division, and LLVM treats division by zero as undefined: divide
  /// magnitudes, fix the sign, and give 0 for a zero divisor (the kernel's own rule for BPF_DIV).
  func divide(_ l: LLVMValueRef, _ r: LLVMValueRef, remainder: Bool, signed: Bool) -> LLVMValueRef {
    let b = m.builder
    let result = scratch(8)
    store64(m.int(0), at: result)
    let nonzero = appendBlock("div.nonzero")
    let end = appendBlock("div.end")
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, r, m.int(0), ""), nonzero, end)
    LLVMPositionBuilderAtEnd(b, nonzero)
    var value: LLVMValueRef
    if signed {
      let lNeg = LLVMBuildICmp(b, LLVMIntSLT, l, m.int(0), "")!
      let rNeg = LLVMBuildICmp(b, LLVMIntSLT, r, m.int(0), "")!
      let la = LLVMBuildSelect(b, lNeg, LLVMBuildNeg(b, l, ""), l, "")
      let ra = LLVMBuildSelect(b, rNeg, LLVMBuildNeg(b, r, ""), r, "")
      value = remainder ? LLVMBuildURem(b, la, ra, "") : LLVMBuildUDiv(b, la, ra, "")
      let negate = remainder ? lNeg : LLVMBuildXor(b, lNeg, rNeg, "")!
      value = LLVMBuildSelect(b, negate, LLVMBuildNeg(b, value, ""), value, "")
    } else {
      value = remainder ? LLVMBuildURem(b, l, r, "") : LLVMBuildUDiv(b, l, r, "")
    }
    store64(value, at: result)
    LLVMBuildBr(b, end)
    LLVMPositionBuilderAtEnd(b, end)
    return load64(result)
  }

  func emitIncrement(increment: Bool, prefix: Bool, _ target: Expr) -> LLVMValueRef {
    let step = Int64(elementSize(checked.type(of: target)))  // a pointer moves by one element
    let delta = m.int(UInt64(bitPattern: increment ? step : -step))
    switch target.kind {
    case .map(let name, let keys):
      let info = checked.map(named: name)!
      let key = buildKey(info, keys)
      let old = readMap(info, key: key).integer
      let new = LLVMBuildAdd(m.builder, old, delta, "")!
      writeMap(info, key: key, value: .integer(new), of: info.valueType)
      return prefix ? new : old
    case .variable(let name):
      let slot = variables[name]!
      let old = load64(slot)
      var new = LLVMBuildAdd(m.builder, old, delta, "")!
      let type = checked.variables[probe.decl.id]![name]!
      if let bits = type.narrowBits { new = narrow(new, bits: bits, signed: type.isSigned) }
      store64(new, at: slot)
      return prefix ? new : old
    default:
      return m.int(0)
    }
  }

  /// `str(pointer [, length])`: copies a NUL-terminated string from user or kernel memory.
  func emitStr(_ args: [Expr], _ e: Expr) -> IRValue {
    guard case .string(let size) = checked.type(of: e) else { return .integer(m.int(0)) }
    if let text = parameterText(e) { return text }  // str($1), read as the program runs
    if let bytes = checked.byteConstants[e.id] { return constantBytes(bytes) }  // str($1 + 2)
    let source = emitValue(args[0])
    if case .buffer = source { return source }
    // With a trailer, one byte more than the string holds is read: a string that fills its
    // bytes without a NUL was cut (CheckedProgram.stringTrailer).
    let readSize = checked.stringTrailer != nil && args.count == 1 ? size + 1 : size
    let buffer = scratch(readSize)
    zero(buffer, bytes: readSize)
    var length = m.int(UInt64(readSize), m.i32)
    if args.count == 2, case .integer = args[1].kind {
      // The checker already sized the buffer from a literal length.
    } else if args.count == 2 {
      // A computed length: at most the buffer, and at least 1 so the helper always terminates.
      let n = LLVMBuildAdd(m.builder, emitInteger(args[1]), m.int(1), "")!
      let limited = LLVMBuildSelect(m.builder, LLVMBuildICmp(m.builder, LLVMIntULT, n, m.int(UInt64(size)), ""),
                                    n, m.int(UInt64(size)), "")!
      length = LLVMBuildTrunc(m.builder, limited, m.i32, "")
    }
    let pointer = LLVMBuildIntToPtr(m.builder, source.integer, m.i8Ptr, "")!
    // bpf_probe_read_user_str or bpf_probe_read_kernel_str: a typed pointer knows its
    // memory (uptr()/kptr() set it); a plain address follows the probe's kind.
    let sourceType = checked.type(of: args[0])
    let space = sourceType.isPointer ? addressSpace(sourceType) : probe.kind.argumentAddressSpace
    callHelper(space.stringReadHelper, [bytePointer(buffer), length, pointer])
    return .buffer(bytePointer(buffer), size: size)
  }
}
