import CLLVM
import SwiftraceSema
import SwiftraceSyntax

extension IRGenerator {
  func emitBuiltin(_ builtin: Builtin, _ e: Expr) -> IRValue {
    let b = m.builder
    switch builtin {
    case .pid, .tid:
      // bpf_get_current_pid_tgid: tgid in the upper half; in swiftrace's own pid namespace,
      // bpf_get_ns_current_pid_tgid fills struct bpf_pidns_info { u32 pid; u32 tgid; }.
      if checked.builtinModes[e.id] == .currentNamespace {
        let info = scratch(8)
        zero(info, bytes: 8)
        callHelper(.getNsCurrentPidTgid, [runFact(.pidNamespaceDevice), runFact(.pidNamespaceInode), bytePointer(info),
                                          m.int(8, m.i32)])
        let word = load64(info)
        return .integer(builtin == .pid ? LLVMBuildLShr(b, word, m.int(32), "")! : LLVMBuildAnd(b, word, m.int(0xffff_ffff), "")!)
      }
      let ids = callHelper(.getCurrentPidTgid, [])
      return .integer(builtin == .pid ? LLVMBuildLShr(b, ids, m.int(32), "")! : LLVMBuildAnd(b, ids, m.int(0xffff_ffff), "")!)
    case .uid:  // bpf_get_current_uid_gid: gid in the upper half
      return .integer(LLVMBuildAnd(b, callHelper(.getCurrentUidGid, []), m.int(0xffff_ffff), ""))
    case .gid:
      return .integer(LLVMBuildLShr(b, callHelper(.getCurrentUidGid, []), m.int(32), ""))
    case .nsecs:
      switch checked.builtinModes[e.id] {
      case .boot?: return .integer(callHelper(.ktimeGetBootNs, []))
      case .tai?, .softwareTAI?: return .integer(callHelper(.ktimeGetTaiNs, []))
      case .monotonic?, .currentNamespace?, .initialNamespace?, nil: return .integer(callHelper(.ktimeGetNs, []))
      }
    case .elapsed:
      return .integer(LLVMBuildSub(b, callHelper(.ktimeGetNs, []), runFact(.startTime), ""))
    case .cpu:
      return .integer(LLVMBuildZExt(b, callHelper(.getSmpProcessorId, [], returns: m.i32), m.i64, ""))
    case .comm:  // bpf_get_current_comm fills all 16 bytes
      let buffer = scratch(16)
      callHelper(.getCurrentComm, [buffer, m.int(16, m.i32)])
      return .buffer(buffer, size: 16)
    case .cpid:
      return .integer(runFact(.childPID))
    case .cgroup:
      return .integer(callHelper(.getCurrentCgroupId, []))
    case .curtask:
      return .integer(callHelper(.getCurrentTask, []))
    case .probe:
      // One program for several probes: the attachment's cookie is the probe's index.
      if readsAttachCookie { return .integer(callHelper(.getAttachCookie, [bytePointer(context)])) }
      return .integer(m.int(UInt64(probe.index)))
    case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5:
      if probe.kind.argumentsInContext {  // the context is an array of u64 arguments
        return .integer(load64(offset(context, 8 * builtin.argumentIndex!)))
      }
      if case .usdt(let site) = probe.kind { return .integer(usdtArgument(site.arguments[builtin.argumentIndex!])) }
      return .integer(load64(offset(context, Registers.argumentOffsets[builtin.argumentIndex!])))
    case .retval:
      if case .fexit = probe.kind {  // after the arguments in the context
        let v = load64(offset(context, 8 * (probe.rawArguments?.count ?? 0)))
        guard case .integer(let bytes, let signed)? = probe.returnType, bytes < 8 else { return .integer(v) }
        return .integer(narrow(v, bits: bytes * 8, signed: signed))
      }
      return .integer(load64(offset(context, Registers.returnValueOffset)))
    case .args:
      // As a whole (print(args), @m = args): the tracepoint record's address; its fields are read
      // through their own accesses.
      return .integer(LLVMBuildPtrToInt(b, bytePointer(context), m.i64, "")!)
    case .ctx:
      return .integer(LLVMBuildPtrToInt(b, bytePointer(context), m.i64, "")!)
    case .rand:
      return .integer(LLVMBuildZExt(b, callHelper(.getPrandomU32, [], returns: m.i32), m.i64, ""))
    case .numaid:
      return .integer(LLVMBuildZExt(b, callHelper(.getNumaNodeId, [], returns: m.i32), m.i64, ""))
    case .jiffies:
      return .integer(callHelper(.jiffies64, []))
    case .ncpus:
      return .integer(runFact(.onlineCPUs))
    case .has_cpid:
      return .integer(LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, runFact(.childPID), m.int(0), ""), m.i64, "")!)
    case .ppid, .leader_tid:
      // current->real_parent->tgid (->group_leader->pid): two kernel reads of the fields the
      // checker found in BTF (CO-RE relocated).
      guard let chain = checked.fieldChains[e.id], chain.count == 2 else { return .integer(m.int(0)) }
      let parent = readKernelWord(fieldAddress(base: callHelper(.getCurrentTask, []), chain[0]), bytes: 8)
      return .integer(readKernelWord(fieldAddress(base: parent, chain[1]), bytes: 4))
    case .usermode:
      // The saved code segment's privilege level (its low two bits): 3 in user mode.
      let level = LLVMBuildAnd(b, load64(offset(context, Registers.codeSegmentOffset)), m.int(3), "")
      return .integer(LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntEQ, level, m.int(3), ""), m.i64, "")!)
    case .probetype:
      // A constant of each probe: its provider's name, NUL-padded to 16 bytes.
      let name = Array(probe.kind.provider.probeTypeName.utf8.prefix(15))
      return constantBytes(name + [UInt8](repeating: 0, count: 16 - name.count))
    case .pcomm, .leader_comm:
      // current->real_parent->comm (->group_leader->comm): 16 bytes, NUL-padded as comm is.
      let buffer = scratch(16)
      zero(buffer, bytes: 16)
      guard let chain = checked.fieldChains[e.id], chain.count == 2 else { return .buffer(buffer, size: 16) }
      let parent = readKernelWord(fieldAddress(base: callHelper(.getCurrentTask, []), chain[0]), bytes: 8)
      let address = LLVMBuildIntToPtr(b, fieldAddress(base: parent, chain[1]), m.i8Ptr, "")!
      callHelper(.probeReadKernel, [buffer, m.int(16, m.i32), address])
      return .buffer(buffer, size: 16)
    case .sarg0, .sarg1, .sarg2, .sarg3, .sarg4, .sarg5:
      // Above the return address at the stack pointer: one 8-byte slot per argument.
      let sp = load64(offset(context, Registers.stackPointerOffset))
      let address = LLVMBuildAdd(b, sp, m.int(UInt64(8 * (builtin.stackArgumentIndex! + 1))), "")!
      let space: AddressSpace = probe.kind.isUserProbe ? .user : .kernel
      return readMemory(address, as: .integer(bytes: 8, signed: false), type: .uint64, space: space)
    case .func, .kstack, .ustack, .username:
      return emitSymbolBuiltin(builtin, e)
    }
  }

  /// A USDT argument where its note says it is: a register (of which the low `size` bytes count),
  /// user memory at a register plus a displacement, or a constant; extended to 64 bits by its sign.
  func usdtArgument(_ argument: USDTArgument) -> LLVMValueRef {
    func register(_ at: Int) -> LLVMValueRef { load64(offset(context, at)) }
    func plus(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAdd(m.builder, a, b, "")! }
    func userMemory(at address: LLVMValueRef) -> LLVMValueRef {
      let slot = scratch(8)
      store64(m.int(0), at: slot)
      callHelper(.probeReadUser, [slot, m.int(UInt64(argument.size), m.i32), LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!])
      return load64(slot)
    }
    let value: LLVMValueRef
    switch argument.location {
    case .constant(let c):
      value = m.int(UInt64(bitPattern: c))  // `4@$-202182160` of a uint32 is 4092785136: narrowed below
    case .register(let at):
      value = register(at)
    case .memory(let base, let displacement):
      value = userMemory(at: plus(register(base), m.int(UInt64(bitPattern: displacement))))
    case .indexed(let base, let index, let scale, let displacement):
      let element = LLVMBuildMul(m.builder, register(index), m.int(UInt64(scale)), "")!
      value = userMemory(at: plus(plus(register(base), element), m.int(UInt64(bitPattern: displacement))))
    }
    return argument.size == 8 ? value : narrow(value, bits: argument.size * 8, signed: argument.signed)
  }


  /// `args->field`: read from the tracepoint record that ctx points to.
  func emitTracepointField(_ name: String, _ e: Expr) -> IRValue {
    if let raw = probe.rawArguments, let index = raw.firstIndex(where: { $0.name == name }) {
      // A raw tracepoint or kfunc argument: one u64 slot; a uprobe's: its register. Narrowed to
      // its C type.
      let slot: Int
      if case .uprobe = probe.kind { slot = Registers.argumentOffsets[index] } else { slot = 8 * index }
      let v = load64(offset(context, slot))
      if case .iterator = probe.kind, case .pointer = raw[index].type {
        // The iterator's last call has no object: the program ends there, as in bpftrace.
        returnUnless(LLVMBuildICmp(m.builder, LLVMIntNE, v, m.int(0), "")!, "iter.object")
      }
      guard case .integer(let bytes, let signed) = raw[index].type, bytes < 8 else { return .integer(v) }
      return .integer(narrow(v, bits: bytes * 8, signed: signed))
    }
    guard let field = probe.tracepointFormat?.field(named: name) else { return .integer(m.int(0)) }
    let b = m.builder
    switch field.kind {
    case .integer(let signed):
      let type: LLVMTypeRef
      switch field.size {
      case 1: type = m.i8
      case 2: type = m.i16
      case 4: type = m.i32
      default: type = m.i64
      }
      let p = LLVMBuildBitCast(b, offset(context, field.offset), LLVMPointerType(type, 0), "")
      let v = LLVMBuildLoad2(b, type, p, name)!
      if field.size >= 8 { return .integer(v) }
      return .integer(signed ? LLVMBuildSExt(b, v, m.i64, "") : LLVMBuildZExt(b, v, m.i64, ""))
    case .charArray(let length):
      let buffer = scratch(length)
      callHelper(.probeReadKernel, [bytePointer(buffer), m.int(UInt64(length), m.i32), offset(context, field.offset)])
      return .buffer(bytePointer(buffer), size: length)
    case .array:
      // A copy of the whole array: an index into it is then checked against its bounds.
      let address = LLVMBuildPtrToInt(b, offset(context, field.offset), m.i64, "")!
      return readMemory(address, as: .void, type: checked.type(of: e), space: .kernel)
    case .dataLocString:
      guard case .string(let size) = checked.type(of: e) else { return .integer(m.int(0)) }
      let p = LLVMBuildBitCast(b, offset(context, field.offset), LLVMPointerType(m.i32, 0), "")
      let loc = LLVMBuildZExt(b, LLVMBuildLoad2(b, m.i32, p, ""), m.i64, "")!
      let start = LLVMBuildAnd(b, loc, m.int(0xffff), "")
      var index: [LLVMValueRef?] = [start]
      let source = LLVMBuildGEP2(b, m.i8, bytePointer(context), &index, 1, "")!
      let buffer = scratch(size)
      zero(buffer, bytes: size)
      callHelper(.probeReadKernelStr, [bytePointer(buffer), m.int(UInt64(size), m.i32), source])
      return .buffer(bytePointer(buffer), size: size)
    }
  }

  /// A fact of the run (`ObjectSymbols.runFacts`): a volatile load, as the session writes it after
  /// loading; the global is declared at its first use.
  func runFact(_ fact: RunFact) -> LLVMValueRef {
    if runFacts == nil {
      let type = m.arrayType(m.i64, RunFact.allCases.count)
      let global = LLVMAddGlobal(m.module, type, ObjectSymbols.runFacts)!
      LLVMSetInitializer(global, LLVMConstNull(type))
      LLVMSetSection(global, ObjectSymbols.runFactsSection)
      LLVMSetAlignment(global, 8)
      di.describeWords(global, name: ObjectSymbols.runFacts, count: RunFact.allCases.count, line: 1)
      runFacts = global
    }
    let word = LLVMBuildBitCast(m.builder, offset(runFacts!, 8 * fact.rawValue), LLVMPointerType(m.i64, 0), "")
    let load = LLVMBuildLoad2(m.builder, m.i64, word, "")!
    LLVMSetVolatile(load, 1)
    LLVMSetAlignment(load, 8)
    return load
  }

  /// BYTES (at most 8) of kernel memory at ADDRESS, zero-extended; 0 where the read fails.
  func readKernelWord(_ address: LLVMValueRef, bytes: Int) -> LLVMValueRef {
    let slot = scratch(8)
    store64(m.int(0), at: slot)
    callHelper(.probeReadKernel, [slot, m.int(UInt64(bytes), m.i32), LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!])
    return load64(slot)
  }
}
