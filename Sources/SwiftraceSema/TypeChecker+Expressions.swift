import SwiftraceBasics
import SwiftraceSyntax

extension TypeChecker {
  /// The type of `e`, recorded in the side table; nil after an error, so one mistake is reported once.
  @discardableResult
  func check(_ e: Expr, asStatement: Bool = false) -> SType? {
    let t = infer(e, asStatement: asStatement)
    if let t { types[e.id] = t }
    return t
  }

  private func infer(_ e: Expr, asStatement: Bool) -> SType? {
    switch e.kind {
    case .integer(let v):
      return .integer(signed: v <= UInt64(Int64.max))
    case .string(let s):
      if s.rawByteCount >= options.stringLength, !["printf", "system", "cat"].contains(enclosingCall ?? "") {
        error(.stringTooLong(limit: options.stringLength), at: e.range)
        return nil
      }
      return .string(size: s.rawByteCount + 1)
    case .boolean:
      return .bool
    case .builtin(let name):
      return checkBuiltin(name, e)
    case .positional(let n):
      let value = n <= options.positionalParameters.count ? options.positionalParameters[n - 1] : "0"
      if parseIntegerParameter(value) == nil {
        error(.positionalNotInteger(n, value), at: e.range)
        return nil
      }
      parameterUses[n, default: []].insert(.integer)
      return .int64
    case .positionalCount:
      parameterCountFixed = true  // code generation writes the count as a constant
      return .int64
    case .variable(let name):
      if let t = scope[name] { return t }
      if failedVariables.contains(name) { return nil }
      let hint = closestName(to: name, in: scope.keys).map { "; did you mean '\($0)'?" } ?? ""
      error(.undefinedVariable(name, hint: hint), at: e.range)
      return nil
    case .map(let name, let keys):
      return checkMapRead(name, keys: keys, e)
    case .call(let name, let args):
      return checkCall(name, args: args, e, asStatement: asStatement)
    case .unary(let op, let operand):
      guard let t = check(operand)?.asEnumNumber else { return nil }
      if t == .bool { return op == .logicalNot ? .bool : .int64 }
      guard t.isInteger else {
        error(.operandNotInteger(op.rawValue, t), at: operand.range)
        return nil
      }
      return t.widened  // as C promotes: -(uint8)1 is not 255
    case .binary(let op, let lhs, let rhs):
      // A bool takes part in arithmetic and comparisons as the integer 0 or 1, an enum's value as
      // its number (the result prints as a number).
      let l = check(lhs).map(\.asArithmeticOperand), r = check(rhs).map(\.asArithmeticOperand)
      guard let l, let r else { return nil }
      if op == .shiftLeft || op == .shiftRight, let n = compileTimeInteger(rhs), n < 0 || n > 63 {
        // BPF would shift by the count modulo 64: `1 << 100` would be 2^36.
        error(.shiftCount(n), at: rhs.range)
        return nil
      }
      if l.isString || r.isString, op == .equal || op == .notEqual {
        guard l.isString && r.isString else {
          error(.cannotCompare(l, r), at: e.range)
          return nil
        }
        return .uint64
      }
      if l.isBuffer && r.isBuffer, op == .equal || op == .notEqual { return .uint64 }  // length and bytes
      if l.isArray || r.isArray, op == .equal || op == .notEqual {
        guard l == r else {
          error(.cannotCompareArrays(l, r), at: e.range)
          return nil
        }
        return .uint64
      }
      if l.isPointer || r.isPointer, l.isIntegerLike, r.isIntegerLike { return pointerArithmetic(op, l, r, e) }
      for (t, side) in [(l, lhs), (r, rhs)] where !t.isInteger {
        error(.operandsNotInteger(op.spelling, t), at: side.range)
        return nil
      }
      return .integer(signed: l.isSigned && r.isSigned)
    case .tuple(let items):
      var elements: [SType] = []
      for item in items {
        guard let t = check(item).flatMap({ stored($0, at: item.range) }) else { return nil }
        guard t.isStorable, !t.isAggregation else {
          error(.tupleElement(t), at: item.range)
          return nil
        }
        elements.append(t)
      }
      return .tuple(elements)
    case .record(let names, let values):
      return checkRecord(names, values, e)
    case .tupleIndex(let base, let index):
      guard let t = check(base) else { return nil }
      guard case .tuple(let elements) = t else {
        error(.notATuple(index, t), at: base.range)
        return nil
      }
      guard index < elements.count else {
        error(.tupleIndex(index, t, count: elements.count), at: e.range)
        return nil
      }
      return elements[index]
    case .ternary(let condition, let then, let otherwise):
      let c = check(condition), a = check(then, asStatement: asStatement), b = check(otherwise, asStatement: asStatement)
      if let c, !c.isIntegerLike {
        error(.conditionNotInteger("a", c), at: condition.range)
      }
      // `c ? printf("a") : printf("b");` as a statement: an if/else (bpftrace accepts it).
      if asStatement, a == SType.none, b == SType.none { return SType.none }
      guard let a, let b else { return nil }
      guard a.isStorable, case .same(let t) = unify(a.widened, b.widened), t.isIntegerLike || t.isString || t == .probe || t.isTuple else {
        error(.ternaryTypes(a, b), at: e.range)
        return nil
      }
      return t
    case .pointerCast(let pointee, let depth, let operand):
      return checkPointerCast(pointee, depth: depth, operand, e)
    case .addressOf(let operand):
      return checkAddressOf(operand)
    case .dereference(let operand):
      return checkDereference(operand, e)
    case .sizeofType(let type):
      return checkTypeQuery(type, field: nil, e)
    case .offsetof(let type, let field):
      return checkTypeQuery(type, field: field, e)
    case .index(let base, let index):
      return checkIndex(base, index, e)
    case .typeArgument:
      error(.typeArgumentAsValue, at: e.range)
      return nil
    case .cast(let type, let operand):
      return checkCast(type, operand)
    case .incrementDecrement(_, _, let target):
      return checkIncrement(target)
    case .field(let base, let name, let arrow):
      return checkField(base: base, name: name, arrow: arrow, e)
    case .block(let block, let value):
      check(block)
      return check(value, asStatement: asStatement)
    }
  }

  func parseIntegerParameter(_ s: String) -> Int64? { Self.integerParameter(s) }

  /// `(uint16)x` and `(bool)x` of an integer, a pointer or a bool; `(uint32)a` of an array of
  /// exactly 4 bytes; `(uint8[4])x` of a 4-byte integer (the bytes as they are in memory).
  func checkCast(_ type: CastType, _ operand: Expr) -> SType? {
    if case .typeOf(let e) = type {
      // The type of e (never evaluated): an integer type, bool or a byte array.
      guard let target = check(e) else { return nil }
      switch target {
      case .integer(let signed, let bits): return checkCast(.integer(IntegerType(bits: bits, signed: signed)), operand)
      case .bool: return checkCast(.bool, operand)
      case .array(.integer(let signed, let bits), let count):
        return checkCast(.array(IntegerType(bits: bits, signed: signed), count: count), operand)
      case .pointer:
        // `(typeof($p))x`: a pointer cast to $p's type.
        guard let t = check(operand) else { return nil }
        guard t.isIntegerLike else {
          error(.cannotCast(t, to: target), at: operand.range)
          return nil
        }
        return target
      default:
        error(.cannotCast(check(operand) ?? .none, to: target), at: operand.range)
        return nil
      }
    }
    guard let t = check(operand) else { return nil }
    switch type {
    case .integer(let integer):
      if case .array(.integer, _) = t, t.byteSize == integer.bits / 8 { return .integer(signed: integer.signed, bits: integer.bits) }
      guard t.isIntegerLike else { break }
      return .integer(signed: integer.signed, bits: integer.bits)
    case .bool:
      guard t.isIntegerLike else { break }
      return .bool
    case .typeOf:
      return nil  // resolved above
    case .parameter(let name):
      error(.unexpandedTypeParameter(name), at: operand.range)
      return nil
    case .enumeration(let name):
      guard t.isIntegerLike else { break }
      guard let type = kernelTypes?.enumeration(named: name) else {
        error(.unknownEnum(name), at: operand.range)
        return nil
      }
      return .symbol(.enumName(type))
    case .array(let element, let count):
      guard case .integer(_, let bits) = t else { break }
      let bytes = bits / 8, size = element.bits / 8
      let n = count ?? bytes / size
      guard n * size == bytes else {
        error(.arrayCastSize(t, to: type, bytes: bytes), at: operand.range)
        return nil
      }
      return .array(.integer(signed: element.signed, bits: element.bits), count: n)
    }
    error(.cannotCast(t, to: type), at: operand.range)
    return nil
  }

  /// A positional parameter's number, as bpftrace reads one: `0x1f` hexadecimal, `0775` octal,
  /// else decimal (with a sign); nil if it is not a number.
  public static func integerParameter(_ s: String) -> Int64? { ParameterLayout.integerValue(s) }

  // MARK: Builtins

  func checkBuiltin(_ name: String, _ e: Expr) -> SType? {
    if Builtin(rawValue: name) == nil, let value = kernelTypes?.constant(named: name) {
      constants[e.id] = UInt64(bitPattern: value)
      // An enum's constant prints as its name in scripts of newer syntax (bpftrace 0.23 and
      // later); 0.17 printed the number.
      if options.newerValues, let type = kernelTypes?.enumeration(ofConstant: name) { return .symbol(.enumName(type)) }
      return .int64
    }
    guard let builtin = Builtin(rawValue: name) else {
      let candidates = Builtin.allCases.map(\.rawValue)
      let hint = closestName(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
      if Function(rawValue: name) != nil {
        error(.missingCallParentheses(name), at: e.range)
      } else {
        error(.unknownIdentifier(name, hint: hint), at: e.range)
      }
      return nil
    }
    let kind = current.kind
    guard checkPlacement(builtin.placement, name: name, at: e.range) else { return nil }
    if mapLoopDepth > 0, [.args, .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .retval].contains(builtin) {
      error(.contextInMapLoop(name), at: e.range)
      return nil
    }
    switch builtin {
    case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5:
      guard kind.hasRegisterArguments else {
        error(.noRegisterArguments(name, in: kind.name), at: e.range)
        return nil
      }
      if case .usdt(let site) = kind {
        let index = builtin.argumentIndex!
        guard index < site.arguments.count else {
          error(.usdtArgument(kind.name, has: site.arguments.count, name), at: e.range)
          return nil
        }
        return .integer(signed: site.arguments[index].signed)
      }
    case .ctx:
      switch kind.contextType {
      case .fields:
        return .tracepointArgs  // the iterator's fields: ctx->task, ctx->file, read where they are
      case .perfEventData:
        // The verifier rewrites direct loads from a perf event program's context; as an address
        // read with bpf_probe_read, it is the kernel's struct bpf_perf_event_data_kern (as in bpftrace).
        if let data = kernelTypes?.record(named: "bpf_perf_event_data_kern", isUnion: false) {
          return .pointer(.record(data), space: .kernel)
        }
        return .pointer(.void, space: .kernel)
      case .opaque:
        return .pointer(.void, space: .kernel)  // kernel memory, whatever the probe's arguments point at
      }
    case .sarg0, .sarg1, .sarg2, .sarg3, .sarg4, .sarg5:
      break  // Builtin.placement
    case .retval:
      guard kind.hasReturnValue else {
        error(.noReturnValue(in: kind.name), at: e.range)
        return nil
      }
      if let type = current.returnType { return valueType(of: type, space: .kernel, at: e.range) }
    case .args:
      if case .uprobe(let path, let function) = kind, current.rawArguments == nil {
        error(.uprobeArgsNeedDebugInfo(path, function), at: e.range)
        return nil
      }
      guard current.tracepointFormat != nil || current.rawArguments != nil else {
        error(.noArgs(in: kind.name), at: e.range)
        return nil
      }
    case .curtask:
      guard let task = lookupRecord("task_struct", isUnion: false, at: e.range) else { return nil }
      return .pointer(.record(task), space: .kernel)
    case .ppid, .pcomm, .leader_tid, .leader_comm:
      // The parent's tgid or comm (task_struct.real_parent->tgid, ->comm), the group leader's pid
      // or comm (->group_leader->pid, ->comm), at the offsets the kernel's BTF gives.
      guard let task = lookupRecord("task_struct", isUnion: false, at: e.range) else { return nil }
      let fields = kernelTypes?.fields(of: task) ?? []
      let link = builtin == .ppid || builtin == .pcomm ? "real_parent" : "group_leader"
      let wanted = builtin == .ppid ? "tgid" : builtin == .leader_tid ? "pid" : "comm"
      guard let linked = fields.first(where: { $0.name == link }), let field = fields.first(where: { $0.name == wanted })
      else {
        error(.noTaskFields(link, wanted), at: e.range)
        return nil
      }
      fieldChains[e.id] = [linked, field].map { KernelFieldAccess(record: task, field: $0, range: e.range) }
    case .func:
      // Builtin.placement keeps it to kernel and user function probes.
      guard kind.isUserProbe else { return .symbol(.kernelSymbol) }
      // A named function is known here: a constant, which still prints after the traced process
      // has exited (bpftrace resolves the address then and prints it raw).
      if let name = kind.userFunctionName {
        let shown = options.machine.demangle(name)
        funcNames[current.index] = shown
        return .string(size: shown.utf8.count + 1)
      }
      usesUserSymbols = true
      return .symbol(.userSymbol)
    case .cpid:
      guard options.hasChildCommand else {
        error(.cpidWithoutCommand, at: e.range)
        return nil
      }
    case .kstack:
      if options.stackMode == .buildID {
        warning(.buildIDKernelStackFallback, at: e.range)
        return .symbol(.kernelStack(StackFormat(mode: .raw)))
      }
      return .symbol(.kernelStack(StackFormat(mode: options.stackMode)))
    case .ustack:
      return .symbol(.userStack(StackFormat(mode: options.stackMode)))
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .comm, .probe, .username, .cgroup, .rand,
      .numaid, .jiffies, .ncpus, .probetype, .has_cpid:
      break
    case .usermode:
      guard kind.hasRegisters else {
        error(.noSavedRegisters("usermode", in: kind.name), at: e.range)
        return nil
      }
    }
    return builtin.type
  }

  // MARK: Fields

  func checkField(base: Expr, name: String, arrow: Bool, _ e: Expr) -> SType? {
    guard let baseType = check(base) else { return nil }
    if baseType == .tracepointArgs, let raw = current.rawArguments {
      guard let argument = raw.first(where: { $0.name == name && !name.isEmpty }) else {
        let hint = closestName(to: name, in: raw.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
        let unnamed = raw.allSatisfy { $0.name.isEmpty } ? " (its arguments have no names in BTF: use arg0..arg\(raw.count - 1))" : ""
        error(.unknownArgument(current.name, name, hint: hint + unnamed), at: e.range)
        return nil
      }
      if case .uprobe = current.kind {
        // In registers: the first six integer or pointer parameters, as the x86-64 ABI passes them.
        let index = raw.firstIndex { $0.name == name }!
        if case .record = argument.type {
          error(.argumentByValue(name), at: e.range)
          return nil
        }
        if index >= 6 {
          error(.argumentOnStack(name, position: index + 1), at: e.range)
          return nil
        }
        return valueType(of: argument.type, space: .user, at: e.range)
      }
      return valueType(of: argument.type, space: .kernel, at: e.range)
    }
    guard baseType == .tracepointArgs, let format = current.tracepointFormat else {
      return checkMemberAccess(base: base, baseType: baseType, name: name, arrow: arrow, e)
    }
    guard let field = format.field(named: name) else {
      let hint = closestName(to: name, in: format.fields.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
      error(.unknownTracepointField(current.name, name, hint: hint), at: e.range)
      return nil
    }
    noteTracepointField(field, at: e.range)
    return tracepointFieldType(field, at: e.range)
  }

  // MARK: Maps and variables

  func checkMapRead(_ name: String, keys: [Expr], _ e: Expr) -> SType? {
    let keyTypes = checkKeys(keys, of: name)
    recordMap(name, keys: keyTypes, value: nil, at: e.range, valueRange: e.range)
    guard let info = maps[name] else {
      if name == mapBeingAssigned { return .int64 }  // its type comes from this assignment: an integer
      let hint = closestName(to: name, in: maps.keys).map { "; did you mean '\($0)'?" } ?? ""
      error(.undefinedMap(name, hint: hint), at: e.range)
      return nil
    }
    // count, sum, min, max and avg maps read as their value over every CPU, as they print
    // (bpftrace 0.20 and later).
    switch info.valueType {
    case .count: return .uint64
    case .sum(let signed), .min(let signed), .max(let signed), .avg(let signed): return .integer(signed: signed)
    case .stats, .hist, .lhist, .tseries:
      error(.aggregationRead(name, holds: info.valueType), at: e.range)
      return nil
    case .none, .integer, .bool, .string, .array, .buffer, .probe, .tracepointArgs, .tuple, .pointer, .record,
      .structValue, .symbol:
      return info.valueType
    }
  }

  func checkIncrement(_ target: Expr) -> SType? {
    switch target.kind {
    case .map(let name, let keys):
      let keyTypes = checkKeys(keys, of: name)
      let held = maps[name]?.valueType
      recordMap(name, keys: keyTypes, value: held?.isPointer == true ? held! : .int64, at: target.range,
                valueRange: target.range)
      let t = maps[name]?.valueType ?? .int64
      guard t.isIntegerLike else {
        error(.incrementNotInteger("map", name, holds: t), at: target.range)
        return nil
      }
      types[target.id] = t
      return t
    case .variable(let name):
      guard let t = scope[name] else {
        error(.undefinedVariable(name, hint: ""), at: target.range)
        return nil
      }
      guard t.isIntegerLike else {
        error(.incrementNotInteger("variable", name, holds: t), at: target.range)
        return nil
      }
      types[target.id] = t
      return t
    default:
      return nil
    }
  }

  // MARK: Calls

  func checkCall(_ name: String, args: [Expr], _ e: Expr, asStatement: Bool) -> SType? {
    let outerCall = enclosingCall
    enclosingCall = name
    defer { enclosingCall = outerCall }
    // `comm` is a builtin, and `comm(pid)` a function of its own (bpftrace 0.24).
    guard let f = Function(rawValue: name), !(f == .comm && args.isEmpty) else {
      // `pid()`, `comm()`: a builtin written as a call (bpftrace 0.18 and later).
      if let builtin = Builtin(rawValue: name), args.isEmpty {
        callees[e.id] = .builtin(builtin)
        return checkBuiltin(name, e)
      }
      // `pid(init)`, `nsecs(boot)`: a builtin and its mode.
      if let builtin = Builtin(rawValue: name), !BuiltinMode.modes(of: builtin).isEmpty {
        let modes = BuiltinMode.modes(of: builtin)
        guard args.count == 1, case .builtin(let word) = args[0].kind, let mode = BuiltinMode(rawValue: word),
          modes.contains(mode) else {
          error(.builtinMode(name, modes.map(\.rawValue)), at: args.first?.range ?? e.range)
          return nil
        }
        callees[e.id] = .builtin(builtin)
        builtinModes[e.id] = mode
        return checkBuiltin(name, e)
      }
      if Builtin(rawValue: name) != nil {
        // `pid(1)`: a builtin with an argument it does not take.
        error(.builtinArguments(name), at: e.range)
        args.forEach { check($0) }
        return nil
      }
      let hint = closestName(to: name, in: Function.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
      error(.unknownFunction(name, hint: hint), at: e.range)
      args.forEach { check($0) }
      return nil
    }
    callees[e.id] = .function(f)
    // What every function's declaration says, checked here once.
    if f.role == .statement && !asStatement {
      error(.notAValue(f), at: e.range)
      return nil
    }
    if let reason = f.unsafeReason, !options.unsafe {
      error(.unsafe(name, reason), at: e.range)
    }
    guard checkPlacement(f.placement, name: name, at: e.range) else { return nil }
    let own: OwnCheck
    switch f.rule {
    case .typed(let kinds, let result): return checkTypedCall(f, kinds, returns: result, args: args, e)
    case .own(let check): own = check
    }
    switch own {
    case .printf:
      checkPrintf(args: args, e, kind: f == .errorf ? .errorf : f == .warnf ? .warnf : .printf)
      return SType.none
    case .unwatch:
      guard args.count == 1, let t = check(args[0]), t.isIntegerLike else {
        error(.unwatchArity, at: e.range)
        return nil
      }
      registerAction(.unwatch, for: e)
      return SType.none
    case .debugf:
      // bpf_trace_printk: the kernel formats it into the trace pipe (/sys/kernel/tracing/trace).
      guard (1...4).contains(args.count), case .string = args[0].kind else {
        error(.debugfArity, at: e.range)
        return nil
      }
      types[args[0].id] = check(args[0])
      for arg in args.dropFirst() {
        guard let t = check(arg) else { return nil }
        guard t.isIntegerLike || t.isString else {
          error(.debugfArgument(t), at: arg.range)
          return nil
        }
      }
      return SType.none
    case .signal, .override:
      guard args.count == 1 else {
        error(.takesOneArgument(f), at: e.range)
        return nil
      }
      if f == .override {
        if let t = check(args[0]), !t.isInteger {
          error(.overrideValue(t), at: args[0].range)
        }
        return SType.none
      }
      if case .string(let text) = args[0].kind {
        guard let number = SignalNames.number(of: text) else {
          error(.unknownSignal(text), at: args[0].range)
          return nil
        }
        types[args[0].id] = .string(size: text.rawByteCount + 1)
        constants[e.id] = UInt64(number)
      } else if case .integer(let n) = args[0].kind {
        guard (1...64).contains(n) else {
          error(.notASignalNumber(n), at: args[0].range)
          return nil
        }
        types[args[0].id] = .int64
        constants[e.id] = n
      } else if let t = check(args[0]), !t.isInteger {
        error(.signalArgument(t), at: args[0].range)
      }
      return SType.none
    case .cat, .system:
      checkPrintf(args: args, e, kind: own == .cat ? .cat : .system)
      return SType.none
    case .exit:
      // exit(status): bpftrace 0.18 and later end the trace with that exit status.
      guard args.count <= 1 else {
        error(.exitArity, at: e.range)
        return nil
      }
      if let status = args.first, let t = check(status), !t.isInteger {
        error(.expectsInteger(f, not: t), at: status.range)
      }
      return SType.none
    case .print, .clear, .zero, .delete:
      checkMapFunction(f, own, args: args, e)
      // delete() tells whether the key was there (bpftrace 0.18 and later).
      return own == .delete ? .bool : SType.none
    case .time, .join, .strftime, .usym, .kaddr, .ntop, .bswap, .kstack, .ustack, .reg, .cgroupid, .macaddr, .pton,
      .uaddr, .commOfPid, .percpuKaddr:
      return checkSymbolFunction(f, own, args: args, e, asStatement: asStatement)
    case .str:
      return checkStr(args: args, e)
    case .kptr, .uptr:
      // Which memory a pointer reads: the kernel's or the process's, whatever the probe suggests.
      guard args.count == 1 else {
        error(.takesOneArgument(f), at: e.range)
        return nil
      }
      guard let t = check(args[0]) else { return nil }
      let space: AddressSpace = f == .uptr ? .user : .kernel
      switch t {
      case .pointer(let target, _): return .pointer(target, space: space)
      case .integer: return .pointer(.integer(bytes: 8, signed: true), space: space)  // as bpftrace: an int64 *
      default:
        error(.expectsAddress(f, not: t), at: args[0].range)
        return nil
      }
    case .buf:
      return checkBuf(args: args, e)
    case .skboutput:
      return checkSkbOutput(args: args, e)
    case .path:
      // bpf_d_path: the kernel allows it only in fentry/fexit programs (of some functions).
      // path(p, size) (bpftrace 0.20 and later): a buffer of `size` bytes instead of max_strlen.
      guard checkArity(f, 1...2, args: args, e) else { return nil }
      guard let t = check(args[0]), t.isPointer else {
        error(.pathArgument, at: args[0].range)
        return nil
      }
      var size = options.stringLength
      if args.count == 2 {
        guard let n = compileTimeInteger(args[1]), (1...4096).contains(n) else {
          error(.pathSize, at: args[1].range)
          return nil
        }
        types[args[1].id] = .int64
        size = Int(n)
      }
      return .string(size: size)
    case .sizeof:
      return checkSizeofExpression(args, e)
    case .strcontains:
      guard args.count == 2 else {
        error(.strcontainsArity, at: e.range)
        return nil
      }
      for arg in args {
        if let t = check(arg), !t.isString {
          error(.strcontainsArgument(t), at: arg.range)
          return nil
        }
      }
      return options.newerValues ? .bool : .uint64  // true/false in newer bpftrace, 1/0 in 0.17
    case .strncmp:
      guard args.count == 3 else {
        error(.strncmpArity, at: e.range)
        return nil
      }
      for arg in args.prefix(2) {
        if let t = check(arg), !t.isString {
          error(.strncmpArgument(t), at: arg.range)
          return nil
        }
      }
      guard let n = compileTimeInteger(args[2]), n >= 0 else {
        error(.strncmpLength, at: args[2].range)
        return nil
      }
      types[args[2].id] = .int64
      constants[args[2].id] = UInt64(n)
      return .uint64
    case .hasKey:
      return checkHasKey(args, e)
    case .getopt:
      return checkGetopt(args, e)
    case .find:
      return checkFind(args, e)
    case .memcmp:
      // memcmp(a, b, n) (bpftrace 0.22 and later): strings, arrays or struct values, n a literal
      // no larger than either.
      guard checkArity(f, 3...3, args: args, e), let a = check(args[0]), let b = check(args[1]) else { return nil }
      for (t, arg) in [(a, args[0]), (b, args[1])] where !(t.isString || t.isArray || t.isBuffer) {
        if case .structValue = t { continue }
        error(.expectsStringOrArray(f, not: t), at: arg.range)
        return nil
      }
      guard let n = compileTimeInteger(args[2]), n >= 0, n <= min(a.byteSize, b.byteSize) else {
        error(.memcmpCount(min(a.byteSize, b.byteSize)), at: args[2].range)
        return nil
      }
      types[args[2].id] = .int64
      constants[args[2].id] = UInt64(n)
      return .int64
    case .writeUser:
      return checkWriteUser(f, args, e)
    case .fail:
      checkFail(args, e)
      return SType.none
    case .staticAssert:
      checkStaticAssert(args, e)
      return SType.none
    case .strConcat:
      guard checkArity(f, 2...2, args: args, e) else { return nil }
      var size = 0
      for arg in args {
        guard let t = check(arg) else { return nil }
        guard case .string(let n) = t else {
          error(.expects(f, .string, not: t), at: arg.range)
          return nil
        }
        size += n
      }
      return .string(size: size - 1)  // one NUL for both
    case .strcap:
      guard checkArity(f, 1...1, args: args, e), let t = check(args[0]) else { return nil }
      switch t {
      case .string(let n): constants[e.id] = UInt64(n)
      case .array: constants[e.id] = UInt64(t.byteSize)
      default:
        error(.expectsStringOrArray(f, not: t), at: args[0].range)
        return nil
      }
      return .int64
    case .len:
      // `len(kstack)`, `len(ustack(5))`: the stack's depth in frames (bpftrace 0.23 and later).
      if args.count == 1, !isMap(args[0]), let t = check(args[0]), case .symbol(let kind) = t, kind.stackFormat != nil {
        let written: Bool
        switch args[0].kind {
        case .builtin(let name), .call(let name, _): written = name == "kstack" || name == "ustack"
        default: written = false
        }
        guard written else {
          error(.lenStackArgument, at: args[0].range)
          return nil
        }
        return .int64
      }
      // `len(@m)`: a whole map with keys (bpftrace 0.21 and later).
      guard args.count == 1, case .map(let name, let keys) = args[0].kind, keys.isEmpty else {
        error(.lenArgument, at: args.first?.range ?? e.range)
        return nil
      }
      guard let info = assignedMap(name, at: args[0].range) else { return nil }
      guard !info.isScalar else {
        error(.lenScalar(name), at: args[0].range)
        return nil
      }
      types[args[0].id] = info.valueType
      return .int64
    case .aggregation:
      error(.aggregationAsValue(name), at: e.range)
      return nil
    }
  }

  /// A call by its declared `CallRule.typed`: the count, then each argument's kind.
  func checkTypedCall(_ f: Function, _ kinds: [ArgumentKind], returns result: SType, args: [Expr], _ e: Expr) -> SType? {
    guard checkArity(f, kinds.count...kinds.count, args: args, e) else { return nil }
    for (arg, kind) in zip(args, kinds) {
      guard let t = check(arg) else { return nil }
      guard kind.accepts(t) else {
        error(.expects(f, kind, not: t), at: arg.range)
        return nil
      }
    }
    return result
  }

  /// Whether ARGS are as many as ALLOWED; an error with the signature if not.
  func checkArity(_ f: Function, _ allowed: ClosedRange<Int>, args: [Expr], _ e: Expr) -> Bool {
    guard allowed.contains(args.count) else {
      error(.arity(f, allowed), at: e.range)
      return false
    }
    return true
  }

  /// Whether a function or builtin may be used in the current probe; an error if not.
  func checkPlacement(_ placement: Placement, name: String, at range: SourceRange) -> Bool {
    let kind = current.kind
    switch placement {
    case .anywhere:
      return true
    case .only(let providers, let why):
      if providers.contains(kind.provider) { return true }
      error(.placedOnly(why, notIn: kind.name), at: range)
      return false
    case .notIn(let providers, let why):
      if !providers.contains(kind.provider) { return true }
      error(.placedNotIn(name, kind.name, why), at: range)
      return false
    }
  }
}

extension TypeChecker {
  func isMap(_ e: Expr) -> Bool {
    if case .map = e.kind { return true }
    return false
  }

  /// `write_user(address, value, length)` (bpftrace 0.24 and later, --unsafe): the helper copies
  /// from the program's memory, so the value is one the program holds (a string, an array, a
  /// struct value, a tuple, or an integer's 8 bytes); a literal length is 1 to its size, a
  /// computed one is limited to it when the program runs.
  func checkWriteUser(_ f: Function, _ args: [Expr], _ e: Expr) -> SType? {
    guard checkArity(f, 3...3, args: args, e), let target = check(args[0]), let value = check(args[1]),
      let length = check(args[2]) else { return nil }
    guard target.isIntegerLike else {
      error(.expects(f, .integer, not: target), at: args[0].range)
      return nil
    }
    let size: Int
    switch value {
    case .string, .array, .buffer, .structValue, .tuple: size = value.byteSize
    case .integer, .bool: size = 8
    default:
      error(.writeUserValue(value), at: args[1].range)
      return nil
    }
    guard length.isInteger else {
      error(.lengthNotInteger(f), at: args[2].range)
      return nil
    }
    if let n = compileTimeInteger(args[2]), !(1...Int64(size)).contains(n) {
      error(.writeUserLength(n, size: size), at: args[2].range)
      return nil
    }
    return .bool
  }
}
