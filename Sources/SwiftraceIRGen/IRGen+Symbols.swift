import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// Values printed as text by userspace (`SymbolKind`): BPF stores only what identifies them.
extension IRGenerator {
  /// One stack-trace map per frame limit for addresses, and one per limit for user stacks kept as
  /// (build id, file offset) frames.
  func declareStackMaps() {
    var limits = Set<Int>(), buildIDLimits = Set<Int>()
    for type in checked.types.values {
      if case .symbol(.kernelStack(let f)) = type { limits.insert(f.limit) }
      if case .symbol(.userStack(let f)) = type {
        if f.recordsBuildIDs { buildIDLimits.insert(f.limit) } else { limits.insert(f.limit) }
      }
    }
    for limit in limits.sorted() {
      let symbol = ObjectSymbols.stacks(limit: limit)
      // BPF_MAP_TYPE_STACK_TRACE (7): u32 stack id -> `limit` instruction pointers.
      mapGlobals[symbol] = mapGlobal(symbol, type: .stackTrace, maxEntries: options.maxMapEntries, keySize: 4,
                                     valueSize: 8 * limit, line: 1)
      mapSymbols[symbol] = symbol
    }
    for limit in buildIDLimits.sorted() {
      let symbol = ObjectSymbols.buildIDStacks(limit: limit)
      // BPF_F_STACK_BUILD_ID (32): each frame is struct bpf_stack_build_id (32 bytes).
      mapGlobals[symbol] = mapGlobal(symbol, type: .stackTrace, maxEntries: options.maxMapEntries, keySize: 4,
                                     valueSize: 32 * limit, flags: 32, line: 1)
      mapSymbols[symbol] = symbol
    }
  }

  func emitSymbolBuiltin(_ builtin: Builtin, _ e: Expr) -> IRValue {
    if builtin == .func, let name = checked.functionNames[probe.index] { return constantString(name) }
    guard case .symbol(let kind) = checked.type(of: e) else { return .integer(m.int(0)) }
    switch builtin {
    case .func:
      // The probed function's address: the instruction pointer at entry (x86-64 pt_regs.ip).
      return symbolValue(kind, load64(offset(context, Registers.instructionPointerOffset)))
    case .username:
      return .integer(LLVMBuildAnd(m.builder, callHelper(.getCurrentUidGid, []), m.int(0xffff_ffff), ""))
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .comm, .cpid, .probe, .curtask, .arg0, .arg1, .arg2, .arg3,
      .arg4, .arg5, .retval, .args, .kstack, .ustack, .cgroup, .ctx, .rand, .numaid, .sarg0, .sarg1, .sarg2, .sarg3,
      .sarg4, .sarg5, .jiffies, .ncpus, .ppid, .pcomm, .probetype, .usermode, .leader_tid, .leader_comm, .has_cpid:
      return stackValue(kind)
    }
  }

  func emitSymbolFunction(_ f: Function, _ args: [Expr], _ e: Expr) -> IRValue {
    let type = checked.type(of: e)
    switch f {
    case .strftime:
      return .integer(emitInteger(args[1]))
    case .bswap:
      let bits = { if case .integer(_, let bits) = type { return bits } else { return 64 } }()
      return .integer(byteSwap(emitInteger(args[0]), bits: bits, signed: type.isSigned))
    case .ntop:
      return emitInetAddress(args)
    case .kstack, .ustack:
      guard case .symbol(let kind) = type else { return .integer(m.int(0)) }
      return stackValue(kind)
    case .ksym, .usym, .strerror, .cgroup_path, .syscall_name, .signal_name:
      guard case .symbol(let kind) = type else { return .integer(m.int(0)) }
      return symbolValue(kind, emitInteger(args[0]))
    case .printf, .exit, .str, .strncmp, .strcontains, .sizeof, .count, .sum, .min, .max, .avg, .stats, .hist,
      .lhist, .tseries, .print, .clear, .zero, .delete, .time, .kaddr, .join, .buf, .cat, .system, .reg, .cgroupid, .macaddr,
      .signal, .override, .kptr, .uptr, .pton, .uaddr, .path, .debugf, .unwatch, .skboutput, .is_err, .has_key, .strlen, .getopt, .errorf, .warnf, .signal_thread, .len, .strstr, .str_concat, .strcap, .find, .memcmp, .write_user, .fail, .static_assert, .socket_cookie, .comm, .percpu_kaddr:
      preconditionFailure("\(f)() is not a symbol function")  // emitValue sends only the functions above
    }
  }

  /// `macaddr(x)`: six bytes from a pointer (read from memory) or a 6-byte value, in one u64.
  func emitMacAddress(_ arg: Expr) -> IRValue {
    let slot = scratch(8)
    store64(m.int(0), at: slot)
    switch emitValue(arg) {
    case .buffer(let p, _):
      copy(6, from: p, to: slot)
    case .integer(let address):
      let type = checked.type(of: arg)
      let space = type.isPointer ? addressSpace(type) : probe.kind.argumentAddressSpace
      callHelper(space.readHelper, [bytePointer(slot), m.int(6, m.i32), LLVMBuildIntToPtr(m.builder, address, m.i8Ptr, "")!])
    }
    return .integer(load64(slot))
  }

  /// An address alone, or with the pid whose mappings resolve it; a user symbol also carries the
  /// mapping's file (inode, device) and the offset in it, found now by bpf_find_vma, so that it
  /// resolves after the process has exited.
  func symbolValue(_ kind: SymbolKind, _ value: LLVMValueRef) -> IRValue {
    guard kind.storageSize > 8 else { return .integer(value) }
    let size = kind.storageSize
    let slot = scratch(size)
    zero(slot, bytes: size)
    store64(value, at: slot)
    store64(LLVMBuildLShr(m.builder, callHelper(.getCurrentPidTgid, []), m.int(32), "")!, at: offset(slot, 8))
    if case .userSymbol = kind, let callback = vmaCallback() {
      // bpf_find_vma on bpf_get_current_task_btf
      let task = callHelper(.getCurrentTaskBtf, [], returns: m.i8Ptr)
      callHelper(.findVma, [task, value, LLVMBuildBitCast(m.builder, callback, m.i8Ptr, "")!, bytePointer(slot), m.int(0)])
    }
    return .buffer(slot, size: size)
  }

  /// `long swiftrace_vma(task, vma, ctx)`: ctx is a user symbol's slot; the mapping's inode, device
  /// and file offset go after the address and pid. Built once per object.
  func vmaCallback() -> LLVMValueRef? {
    guard let layout = checked.vmaLayout else { return nil }
    if let existing = vmaCallbackFunction { return existing }
    let callback = buildCallback(name: ObjectSymbols.vmaCallback, parameters: ["task", "vma", "ctx"], line: 1) { callback in
      LLVMSetCurrentDebugLocation2(m.builder, di.location(line: 1, column: 1, scope: subprogram))
      emitVMACallbackBody(callback, layout)
    }
    vmaCallbackFunction = callback
    return callback
  }

  private func emitVMACallbackBody(_ callback: LLVMValueRef, _ layout: VMALayout) {
    let vma = LLVMGetParam(callback, 1)!, ctx = LLVMGetParam(callback, 2)!
    let wasInternal = inInternalCallback
    inInternalCallback = true
    defer { inInternalCallback = wasInternal }
    let slot = scratch(8)
    func read(_ base: LLVMValueRef, _ field: KernelFieldAccess, bytes: Int = 8) -> LLVMValueRef {
      store64(m.int(0), at: slot)
      let address = fieldAddress(base: LLVMBuildPtrToInt(m.builder, base, m.i64, "")!, field)
      callHelper(.probeReadKernel, [bytePointer(slot), m.int(UInt64(bytes), m.i32), pointer(address)])  // bpf_probe_read_kernel
      return load64(slot)
    }
    func pointer(_ v: LLVMValueRef) -> LLVMValueRef { LLVMBuildIntToPtr(m.builder, v, m.i8Ptr, "")! }
    let start = read(vma, layout.vmStart)
    let pageOffset = read(vma, layout.vmPageOffset)
    let file = read(vma, layout.vmFile)
    let hasFile = appendBlock("vma.file"), done = appendBlock("vma.done")
    LLVMBuildCondBr(m.builder, LLVMBuildICmp(m.builder, LLVMIntNE, file, m.int(0), "")!, hasFile, done)
    LLVMPositionBuilderAtEnd(m.builder, hasFile)
    let inode = read(pointer(file), layout.fileInode)
    store64(read(pointer(inode), layout.inodeNumber), at: offset(ctx, 16))
    let superBlock = read(pointer(inode), layout.inodeSuperBlock)
    store64(read(pointer(superBlock), layout.superBlockDevice, bytes: 4), at: offset(ctx, 24))
    let address = load64(ctx)
    let fileOffset = LLVMBuildAdd(m.builder, LLVMBuildSub(m.builder, address, start, "")!,
                                  LLVMBuildShl(m.builder, pageOffset, m.int(12), "")!, "")!
    store64(fileOffset, at: offset(ctx, 32))
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    LLVMBuildRet(m.builder, m.int(0))
  }

  /// bpf_get_stackid into the stack map for this limit; user stacks keep the pid too.
  func stackValue(_ kind: SymbolKind) -> IRValue {
    let user: Bool, format: StackFormat
    switch kind {
    case .kernelStack(let f): (user, format) = (false, f)
    case .userStack(let f): (user, format) = (true, f)
    default: return .integer(m.int(0))
    }
    let map = mapPointer(user && format.recordsBuildIDs ? ObjectSymbols.buildIDStacks(limit: format.limit)
                           : ObjectSymbols.stacks(limit: format.limit))
    let flags: UInt64 = user ? 1 << 8 : 0  // BPF_F_USER_STACK
    let id = callHelper(.getStackid, [bytePointer(context), map, m.int(flags)])
    return user ? symbolValue(kind, id) : .integer(id)
  }

  /// `len(kstack)`, `len(ustack)`: the frames bpf_get_stack writes (at most the stack's limit),
  /// 0 when it fails.
  func stackDepth(_ kind: SymbolKind) -> LLVMValueRef {
    guard let format = kind.stackFormat else { return m.int(0) }
    let user: Bool
    if case .userStack = kind { user = true } else { user = false }
    let size = 8 * format.limit
    let buffer = scratch(size)
    let written = callHelper(.getStack, [bytePointer(context), bytePointer(buffer), m.int(UInt64(size), m.i32),
                                         m.int(user ? 1 << 8 : 0)])  // BPF_F_USER_STACK
    let failed = LLVMBuildICmp(m.builder, LLVMIntSLT, written, m.int(0), "")!
    let bytes = LLVMBuildSelect(m.builder, failed, m.int(0), written, "")!
    return LLVMBuildLShr(m.builder, bytes, m.int(3), "")!
  }

  /// `ntop(addr)` or `ntop(family, addr)`: (family, 16 address bytes). A 4-byte address or an
  /// integer is IPv4 (AF_INET = 2), 16 bytes are IPv6 (AF_INET6 = 10) unless a family is given.
  func emitInetAddress(_ args: [Expr]) -> IRValue {
    let slot = scratch(24)
    zero(slot, bytes: 24)
    let address = args[args.count - 1]
    let value = emitValue(address)
    var family: LLVMValueRef
    switch value {
    case .integer(let v):
      let low = LLVMBuildTrunc(m.builder, v, m.i32, "")!
      LLVMBuildStore(m.builder, low, LLVMBuildBitCast(m.builder, offset(slot, 8), LLVMPointerType(m.i32, 0), ""))
      family = m.int(2)
    case .buffer(let p, let n):
      copy(min(n, 16), from: p, to: offset(slot, 8))
      family = m.int(n >= 16 ? 10 : 2)
    }
    if args.count == 2 { family = emitInteger(args[0]) }
    store64(family, at: slot)
    return .buffer(slot, size: 24)
  }

  /// llvm.bswap on the value's own width (bswap((uint16)x) swaps two bytes), extended back.
  func byteSwap(_ v: LLVMValueRef, bits: Int, signed: Bool) -> LLVMValueRef {
    guard bits > 8 else { return v }
    let type = LLVMIntTypeInContext(m.context, UInt32(bits))!
    let narrow = bits == 64 ? v : LLVMBuildTrunc(m.builder, v, type, "")!
    let name = "llvm.bswap"
    let id = LLVMLookupIntrinsicID(name, name.utf8.count)
    var types: [LLVMTypeRef?] = [type]
    let fn = LLVMGetIntrinsicDeclaration(m.module, id, &types, 1)!
    var argv: [LLVMValueRef?] = [narrow]
    let swapped = LLVMBuildCall2(m.builder, LLVMGlobalGetValueType(fn), fn, &argv, 1, "")!
    if bits == 64 { return swapped }
    return signed ? LLVMBuildSExt(m.builder, swapped, m.i64, "") : LLVMBuildZExt(m.builder, swapped, m.i64, "")
  }

  /// join(argv): the strings are read straight into a ring-buffer record (1 KiB does not fit on
  /// the BPF stack). Elements after the array's NULL are left empty.
  func emitJoin(args: [Expr], call: Expr) {
    guard let id = checked.actionIDs[call.id], case .join(_, let size) = checked.actions[id] else { return }
    let b = m.builder
    let total = 8 + JoinLimits.count * size
    // bpf_ringbuf_reserve: a record to fill, or null when the buffer is full.
    let record = callHelper(.ringbufReserve, [bytePointer(ringBuffer), m.int(UInt64(total)), m.int(0)], returns: m.i8Ptr)
    let fill = appendBlock("join.fill"), done = appendBlock("join.done")
    countLostEventIf(LLVMBuildIsNull(b, record, "")!)
    LLVMBuildCondBr(b, LLVMBuildIsNotNull(b, record, ""), fill, done)
    LLVMPositionBuilderAtEnd(b, fill)
    store64(m.int(AsyncEventID.actionBase + UInt64(id)), at: record)
    let space = probe.kind.argumentAddressSpace
    let array = emitInteger(args[0])
    let slot = scratch(8)
    for i in 0..<JoinLimits.count {
      let element = offset(record, 8 + i * size)
      LLVMBuildStore(b, m.int(0, m.i8), element)
      // argv[i] (a pointer), then its string, read in the probe's address space.
      store64(m.int(0), at: slot)
      let address = LLVMBuildAdd(b, array, m.int(UInt64(8 * i)), "")!
      callHelper(space.readHelper, [bytePointer(slot), m.int(8, m.i32), LLVMBuildIntToPtr(b, address, m.i8Ptr, "")])
      let pointer = load64(slot)
      callHelper(space.stringReadHelper, [element, m.int(UInt64(size), m.i32), LLVMBuildIntToPtr(b, pointer, m.i8Ptr, "")])
    }
    callHelper(.ringbufSubmit, [record, m.int(1)])  // bpf_ringbuf_submit, BPF_RB_NO_WAKEUP (see sendEvent)
    LLVMBuildBr(b, done)
    LLVMPositionBuilderAtEnd(b, done)
  }
}
