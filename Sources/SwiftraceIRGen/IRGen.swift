import CLLVM
import Glibc
import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax

public struct IRGenOptions: Sendable {
  public var optimize = true
  public var maxMapEntries = Configuration.defaultMapKeys
  public var ringBufferBytes = 1 << 20
  /// `-k` (1): report failed map updates and deletes; `-kk` (2): also failed memory reads.
  public var helperCheckLevel = 0
  /// `-p PID`: probes other than BEGIN, END and interval fire only in this process.
  public var targetPID: UInt64?
  /// license: the object's license section.
  public var license = "GPL"
  /// on_stack_limit: values larger than this go to the scratch map, not the stack.
  public var onStackLimit: Int?
  public init() {}
}

/// Lowers a checked program to LLVM IR: one function per attach point, maps as BTF-defined globals
/// in `.maps`, printf and exit as events in one ring buffer.
public final class IRGenerator {
  let checked: CheckedProgram
  let options: IRGenOptions
  let m: LLVMModule
  let di: DebugInfo
  var mapGlobals: [String: LLVMValueRef] = [:]
  var mapSymbols: [String: String] = [:]
  var ringBuffer: LLVMValueRef!
  var lostEvents: LLVMValueRef!
  var failedUpdates: LLVMValueRef!
  var stopped: LLVMValueRef!
  /// `ObjectSymbols.runFacts`, once a probe reads `cpid` or `elapsed`.
  var runFacts: LLVMValueRef?
  var packets: LLVMValueRef?
  /// Where the statement being generated is, for `-k` reports.
  var currentRange = SourceRange(start: 0, end: 0)
  var helperErrorSites: [HelperErrorSite] = []
  /// Helper calls made by swiftrace's own code (the VMA callback) are not the script's to report.
  var inInternalCallback = false
  /// bpf_find_vma's callback, shared by the object's programs once one needs it.
  var vmaCallbackFunction: LLVMValueRef?
  /// The `kaddr()` symbols declared as typeless externs.
  var typelessKernelSymbols: Set<String> = []
  /// Debug and IR types of the kernel structs whose fields are read through CO-RE relocations.
  var kernelRecords: KernelRecordTypes
  /// The program being generated runs for several probes: `probe` is its attach cookie.
  var readsAttachCookie = false

  // State of the function being generated.
  var function: LLVMValueRef!
  var allocaBuilder: LLVMBuilderRef!
  var subprogram: LLVMMetadataRef!
  /// The program's context argument; nil while a range loop's callback is generated, which has
  /// none (see `context`).
  var probeContext: LLVMValueRef?
  /// Set when code generated for a range loop's callback needed what only the probe's own function
  /// has (its context: args, stacks, perf output; or `return`): the loop is then made inline.
  var callbackNeededProbe = false
  var context: LLVMValueRef! {
    get {
      guard let probeContext else {
        callbackNeededProbe = true
        return LLVMConstNull(m.i8Ptr)  // the callback is thrown away
      }
      return probeContext
    }
    set { probeContext = newValue }
  }
  var probe: CheckedProbe!
  var variables: [String: LLVMValueRef] = [:]
  /// Stack slots for temporaries, reused from one statement to the next: a BPF program has 512
  /// bytes of stack, and LLVM would otherwise keep every temporary's slot alive at once.
  var freeScratch: [Int: [LLVMValueRef]] = [:]
  var usedScratch: [(size: Int, slot: LLVMValueRef)] = []
  /// The probe's variables as one block in the `frames` map, when a map loop's callback needs them.
  var frame: LLVMValueRef?
  /// Per-CPU array holding those blocks, one slot per probe with map loops; nil when none has.
  var framesMap: LLVMValueRef?
  var frameSlots: [Int: Int] = [:]
  var callbackCount = 0
  /// The function's memory beyond its stack budget (IRGen+ScratchRegion).
  var region = ScratchRegion()
  /// The per-CPU array holding every function's region, one slot each; nil while none needs one.
  var scratchMap: LLVMValueRef?
  var scratchSlots = 0
  var scratchValueSize = 0
  var regionBuilders: [LLVMBuilderRef] = []
  /// Generating an object (not a dump): stop once a function is over the size limit.
  var stopWhenOversized = false
  var statementsSinceSizeCheck = 0
  var oversized: (probeIndex: Int, instructions: Int)?
  /// Where `continue` and `break` go, innermost loop last.
  var loops: [(continueTarget: LLVMBasicBlockRef, breakTarget: LLVMBasicBlockRef)] = []

  public init(checked: CheckedProgram, options: IRGenOptions) {
    self.checked = checked
    self.options = options
    m = LLVMModule(name: checked.source.name)
    let fileName = checked.source.name
    di = DebugInfo(m, fileName: fileName, directory: ".")
    kernelRecords = KernelRecordTypes(checked.allKernelFieldAccesses)
    di.relocatedRecord = { [unowned self] name, isUnion in
      guard let record = kernelRecords.record(named: name, isUnion: isUnion) else { return nil }
      return kernelRecords.entry(for: record, di: di, m: m).debugType
    }
  }

  public func generateIR() throws(IRGenError) -> String {
    try build()
    return m.irText
  }

  public func generateOptimizedIR() throws(IRGenError) -> String {
    try build()
    try BPFTarget.optimize(m)
    return m.irText
  }

  public func generateObject() throws(IRGenError) -> BPFObjectCode {
    stopWhenOversized = true
    let programs = try build()
    try refuseOversizedFunctions(programs)
    let elf = try BPFTarget.optimizeAndEmit(m, optimize: options.optimize)
    let shapes = BPFTarget.functionShapes(elf, context: m.context)
    for program in programs {
      guard let shape = shapes[program.functionName] else { continue }
      if shape.instructions > BPFSizeLimits.maxInstructions {
        throw .tooLarge(probeIndex: program.probeIndex, instructions: shape.instructions, found: .objectInstructions)
      }
      if shape.wrappedBranch {
        throw .tooLarge(probeIndex: program.probeIndex, instructions: shape.instructions, found: .branchReach)
      }
    }
    var code = BPFObjectCode(elf: elf, programs: programs, mapSymbols: mapSymbols)
    code.helperErrorSites = helperErrorSites
    return code
  }

  /// A function far over BPF's size limits is refused before LLVM spends seconds on it (100,000
  /// statements took 227 s and 2.65 GB to fail); generation itself stops early (`emit(_:Block)`).
  func refuseOversizedFunctions(_ programs: [BPFObjectCode.ProgramSymbol]) throws(IRGenError) {
    if let oversized { throw .tooLarge(probeIndex: oversized.probeIndex, instructions: oversized.instructions, found: .irInstructions) }
    for program in programs {
      guard let function = LLVMGetNamedFunction(m.module, program.functionName) else { continue }
      let count = instructionCount(function)
      if count > BPFSizeLimits.maxIRInstructions {
        throw .tooLarge(probeIndex: program.probeIndex, instructions: count, found: .irInstructions)
      }
    }
  }

  /// Instructions of a function's IR that become BPF instructions (casts and stack slots do not).
  func instructionCount(_ function: LLVMValueRef) -> Int {
    var count = 0
    var block = LLVMGetFirstBasicBlock(function)
    while let b = block {
      var instruction = LLVMGetFirstInstruction(b)
      while let i = instruction {
        let opcode = LLVMGetInstructionOpcode(i)
        if opcode != LLVMBitCast && opcode != LLVMAlloca { count += 1 }
        instruction = LLVMGetNextInstruction(i)
      }
      block = LLVMGetNextBasicBlock(b)
    }
    return count
  }

  /// Every this many statements, the function's size is counted; past the limit, generation stops.
  static let statementsBetweenSizeChecks = 1_000

  private var built: [BPFObjectCode.ProgramSymbol]?

  @discardableResult
  func build() throws(IRGenError) -> [BPFObjectCode.ProgramSymbol] {
    if let built { return built }
    let text = options.license
    let license = LLVMAddGlobal(m.module, m.arrayType(m.i8, text.utf8.count + 1), "LICENSE")!
    LLVMSetInitializer(license, LLVMConstStringInContext(m.context, text, UInt32(text.utf8.count), 0))
    LLVMSetSection(license, "license")
    declareMaps()
    var programs: [BPFObjectCode.ProgramSymbol] = []
    // The attach points of one block that can share a program load it once (the verifier sees it
    // once): each attachment carries its probe's index as the attach cookie, which `probe` reads.
    let keys = checked.probes.map(sharingKey)
    let members = Dictionary(keys.compactMap { $0 }.map { ($0, 1) }, uniquingKeysWith: +)
    var sharedPrograms: [String: String] = [:]
    for (p, key) in zip(checked.probes, keys) {
      let key = key.flatMap { members[$0]! > 1 ? $0 : nil }
      if let key, let shared = sharedPrograms[key] {
        programs.append(.init(probeIndex: p.index, functionName: shared, section: p.kind.section))
        continue
      }
      readsAttachCookie = key != nil
      let symbol = emitProbe(p)
      readsAttachCookie = false
      if let key { sharedPrograms[key] = symbol.functionName }
      programs.append(symbol)
    }
    for p in checked.probes {
      if case .functionWatchpoint(_, _, let argument, _, _, let async) = p.kind {
        programs.append(emitWatchpointSetup(p, argument: argument, async: async))
      }
    }
    finishScratchMap()
    di.finalize()
    if let problem = m.verify() { throw .invalidModule(problem) }
    built = programs
    return programs
  }

  // MARK: Maps

  func declareMaps() {
    for (i, info) in checked.maps.enumerated() {
      let symbol = "map\(i)_" + sanitize(String(info.name.dropFirst()))
      let type: BPFMapType
      switch info.storage {
      case .hash: type = info.evictsLeastRecentlyUsed ? .lruHash : .hash
      case .perCPUHash: type = info.evictsLeastRecentlyUsed ? .lruPerCPUHash : .perCPUHash
      case .perCPUArray: type = .perCPUArray
      }
      let entries = info.storage == .perCPUArray ? info.arrayLength
        : info.isScalar && !info.valueType.hasSlotKey ? 1 : info.declaredEntries ?? options.maxMapEntries
      mapGlobals[info.name] = mapGlobal(symbol, type: type, maxEntries: entries, keySize: info.keySize,
                                        valueSize: info.valueSize, line: line(of: info.firstAssignment))
      mapSymbols[info.name] = symbol
    }
    // Variables live in map memory, not on the stack, in probes with loops whose body is a callback
    // (map and range loops): the callback reaches them there, and the verifier checks a callback
    // to a fixed point, which exact values of stack variables would never reach.
    var frameSize = 0
    for p in checked.probes where p.decl.body.containsStatement(where: \.isCallbackLoop) {
      frameSlots[p.index] = frameSlots.count
      frameSize = max(frameSize, frameLayout(frameVariables(p)).size)
    }
    if !frameSlots.isEmpty {
      framesMap = mapGlobal(ObjectSymbols.frames, type: .perCPUArray, maxEntries: frameSlots.count, keySize: 4,
                            valueSize: max(8, frameSize), line: 1)
    }
    declareStackMaps()
    if !checked.skbOutputs.isEmpty {
      // max_entries 0: libbpf makes it one slot per possible CPU.
      packets = mapGlobal(ObjectSymbols.packets, type: .perfEventArray, maxEntries: 0, keySize: 4, valueSize: 4, line: 1)
    }
    // A program whose only event is exit() needs one page, not a megabyte mapped (twice) into
    // the reader's memory.
    let onlyExitEvents = checked.printfs.isEmpty && checked.actions.isEmpty && options.helperCheckLevel == 0
    ringBuffer = mapGlobal(ObjectSymbols.ringBuffer, type: .ringbuf,
                           maxEntries: onlyExitEvents ? Int(getpagesize()) : options.ringBufferBytes,
                           keySize: nil, valueSize: nil, line: 1)
    lostEvents = mapGlobal(ObjectSymbols.lostEvents, type: .perCPUArray, maxEntries: 1, keySize: 4, valueSize: 8, line: 1)
    failedUpdates = mapGlobal(ObjectSymbols.failedUpdates, type: .perCPUArray, maxEntries: max(1, checked.maps.count),
                              keySize: 4, valueSize: 8, line: 1)
    stopped = LLVMAddGlobal(m.module, m.i64, ObjectSymbols.stopped)!
    LLVMSetInitializer(stopped, m.int(0))
    LLVMSetSection(stopped, ObjectSymbols.stoppedSection)
    LLVMSetAlignment(stopped, 8)
    di.describeVariable(stopped, name: ObjectSymbols.stopped, line: 1)
  }

  func mapGlobal(_ symbol: String, type: BPFMapType, maxEntries: Int, keySize: Int?, valueSize: Int?,
                         flags: Int = 0, line: UInt32) -> LLVMValueRef {
    // As many pointer-sized members as the BTF definition has (libbpf checks the sizes agree).
    let fields = (keySize == nil ? 2 : 4) + (flags != 0 ? 1 : 0)
    var members = [LLVMTypeRef?](repeating: m.i8Ptr, count: fields)
    let structType = LLVMStructTypeInContext(m.context, &members, UInt32(fields), 0)!
    let g = LLVMAddGlobal(m.module, structType, symbol)!
    LLVMSetInitializer(g, LLVMConstNull(structType))
    LLVMSetSection(g, ".maps")
    LLVMSetAlignment(g, 8)
    di.describeMap(g, name: symbol, type: type, maxEntries: maxEntries, keySize: keySize, valueSize: valueSize,
                   flags: flags, line: line)
    return g
  }

  func mapPointer(_ name: String) -> LLVMValueRef {
    LLVMBuildBitCast(m.builder, mapGlobals[name]!, m.i8Ptr, "")
  }

  // MARK: Probes

  /// Starts program function `name` in `section`: an entry block that holds the stack slots and a
  /// body where the builder is left. The caller disposes `allocaBuilder` when the function is done.
  func startProgram(_ name: String, section: String, range: SourceRange) {
    var params: [LLVMTypeRef?] = [m.i8Ptr]
    let fnType = LLVMFunctionType(m.i32, &params, 1, 0)!
    function = LLVMAddFunction(m.module, name, fnType)
    LLVMSetSection(function, section)
    LLVMSetLinkage(function, LLVMExternalLinkage)
    subprogram = di.describeFunction(function, name: name, line: line(of: range))
    context = LLVMGetParam(function, 0)
    LLVMSetValueName2(context, "ctx", 3)
    let entry = LLVMAppendBasicBlockInContext(m.context, function, "entry")
    let body = LLVMAppendBasicBlockInContext(m.context, function, "body")
    LLVMPositionBuilderAtEnd(m.builder, entry)
    let jump = LLVMBuildBr(m.builder, body)
    allocaBuilder = LLVMCreateBuilderInContext(m.context)
    LLVMPositionBuilderBefore(allocaBuilder, jump)
    region = ScratchRegion()
    LLVMSetCurrentDebugLocation2(allocaBuilder, nil)
    LLVMPositionBuilderAtEnd(m.builder, body)
    setLocation(range)
  }

  /// The trace has stopped: return before doing anything (one load of a global).
  func returnIfStopped() {
    let flag = LLVMBuildLoad2(m.builder, m.i64, stopped, "stopped")!
    LLVMSetVolatile(flag, 1)
    LLVMSetAlignment(flag, 8)
    returnUnless(LLVMBuildICmp(m.builder, LLVMIntEQ, flag, m.int(0), "")!, "stop")
  }

  /// `watchpoint:FUNCTION+argN`: a uprobe on FUNCTION that tells userspace the address argument N
  /// holds, where the breakpoint goes; a synchronous watchpoint also stops the process
  /// (bpf_send_signal, SIGSTOP) until userspace has placed it and continues it.
  func emitWatchpointSetup(_ p: CheckedProbe, argument: Int, async: Bool) -> BPFObjectCode.ProgramSymbol {
    probe = p
    let name = "w\(p.index)_setup"
    startProgram(name, section: "uprobe", range: p.decl.range)
    defer { LLVMDisposeBuilder(allocaBuilder) }
    (variables, freeScratch, usedScratch, frame) = ([:], [:], [], nil)
    returnIfStopped()
    if let target = options.targetPID {
      let current = LLVMBuildLShr(m.builder, callHelper(.getCurrentPidTgid, []), m.int(32), "")!
      returnUnless(LLVMBuildICmp(m.builder, LLVMIntEQ, current, m.int(target), "")!, "pid")
    }
    // The stop first: userspace's SIGCONT, sent once the breakpoint is placed, must come after it
    // (it also discards a stop still pending), or the process would stay stopped.
    if !async { callHelper(.sendSignal, [m.int(UInt64(SIGSTOP), m.i32)]) }  // bpf_send_signal
    let event = scratch(16)
    store64(m.int(AsyncEventID.watchpointBase + UInt64(p.index)), at: event)
    store64(load64(offset(context, Registers.argumentOffsets[argument])), at: offset(event, 8))
    sendEvent(event, size: 16, wakeUp: true)
    LLVMBuildRet(m.builder, m.int(0, m.i32))
    LLVMSetCurrentDebugLocation2(m.builder, nil)
    return .init(probeIndex: p.index, functionName: name, section: "uprobe", role: .watchpointSetup)
  }

  /// Probes that can run one program: a tracepoint or uprobe block's attach points (a wildcard's
  /// expansion) whose code does not depend on which one fired but through `probe`, which the
  /// attach cookie gives. What keeps them apart: `args` (each tracepoint's record, each
  /// function's DWARF parameters), `ctx`, and in uprobes `func` and `uaddr()` (constants of the
  /// probed function). Nil for a probe that needs a program of its own.
  func sharingKey(_ p: CheckedProbe) -> String? {
    let contextual: Set<String>
    switch p.kind {
    case .tracepoint: contextual = ["args", "ctx"]
    case .uprobe, .uretprobe: contextual = ["args", "ctx", "func", "uaddr"]
    default: return nil
    }
    let depends = p.decl.containsExpression { e in
      switch e.kind {
      case .builtin(let name), .call(let name, _): return contextual.contains(name)
      default: return false
      }
    }
    return depends ? nil : "\(p.decl.id)/\(p.kind.provider.name)/\(p.kind.argumentAddressSpace)"
  }

  func emitProbe(_ p: CheckedProbe) -> BPFObjectCode.ProgramSymbol {
    probe = p
    let name = "p\(p.index)_" + sanitize(p.kind.name)
    let section = p.kind.section
    startProgram(name, section: section, range: p.decl.range)
    defer { LLVMDisposeBuilder(allocaBuilder) }

    variables = [:]
    freeScratch = [:]
    usedScratch = []
    callbackCount = 0
    frame = nil
    if frameSlots[p.index] != nil, let frame = lookupFrame(orReturn: m.int(0, m.i32)) {
      // Loop bodies run in callbacks, which reach the variables they use through the frame.
      let inFrame = frameVariables(p)
      let layout = frameLayout(inFrame)
      zero(frame, bytes: max(8, layout.size))
      self.frame = frame
      for (name, _) in inFrame { variables[name] = offset(frame, layout.offsets[name]!) }  // in name order
    }
    // The others stay on the stack, where the verifier knows their values (a while loop's
    // counter must be known to be bounded).
    for (varName, type) in sortedVariables(p) where variables[varName] == nil {
      let slot = functionMemory(max(8, type.storageSize), varName)
      zero(slot, bytes: max(8, type.storageSize))
      variables[varName] = slot
    }
    // BEGIN and END run once, when swiftrace runs them; so does an iterator, whenever it is read
    // (a pinned one long after this trace has stopped).
    if p.kind != .begin && p.kind != .end && !p.kind.isIterator { returnIfStopped() }
    if let target = options.targetPID, p.kind.firesInProcessContext {
      // bpf_get_current_pid_tgid: the process id is the upper half.
      let current = LLVMBuildLShr(m.builder, callHelper(.getCurrentPidTgid, []), m.int(32), "")!
      returnUnless(LLVMBuildICmp(m.builder, LLVMIntEQ, current, m.int(target), "")!, "pid")
    }
    if let predicate = p.decl.predicate {
      setLocation(predicate.range)
      returnUnless(LLVMBuildICmp(m.builder, LLVMIntNE, emitInteger(predicate), m.int(0), "")!, "predicate")
    }
    emit(p.decl.body)
    if LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(m.builder)) == nil {
      LLVMBuildRet(m.builder, m.int(0, m.i32))
    }
    LLVMSetCurrentDebugLocation2(m.builder, nil)
    return .init(probeIndex: p.index, functionName: name, section: section)
  }

  // MARK: Helpers

  func sortedVariables(_ p: CheckedProbe) -> [(key: String, value: SType)] {
    (checked.variables[p.decl.id] ?? [:]).sorted(by: { $0.key < $1.key })
  }

  /// The variables a loop callback of the probe uses (its loop variable and every variable of its
  /// body), in name order: they live in the frame.
  func frameVariables(_ p: CheckedProbe) -> [(key: String, value: SType)] {
    var used = Set<String>()
    _ = p.decl.body.containsStatement { stmt in
      switch stmt.kind {
      case .forMap(let variable, _, let body), .forRange(let variable, _, _, let body):
        used.insert(variable)
        used.formUnion(body.scratchVariableNames)
      default: break
      }
      return false
    }
    return sortedVariables(p).filter { used.contains($0.key) }
  }

  /// This probe's slot in the frames map; returns `failure` from the function if the lookup fails
  /// (it cannot for an array, but the verifier wants the check).
  func lookupFrame(orReturn failure: LLVMValueRef) -> LLVMValueRef? {
    guard let framesMap, let slot = frameSlots[probe.index] else { return nil }
    let key = entryAlloca(m.i32, "frame.key")
    LLVMBuildStore(m.builder, m.int(UInt64(slot), m.i32), key)
    let value = callHelper(.mapLookupElem, [LLVMBuildBitCast(m.builder, framesMap, m.i8Ptr, ""), bytePointer(key)], returns: m.i8Ptr)
    let ok = appendBlock("frame.ok"), missing = appendBlock("frame.missing")
    LLVMBuildCondBr(m.builder, LLVMBuildIsNotNull(m.builder, value, ""), ok, missing)
    LLVMPositionBuilderAtEnd(m.builder, missing)
    LLVMBuildRet(m.builder, failure)
    LLVMPositionBuilderAtEnd(m.builder, ok)
    return value
  }

  func appendBlock(_ name: String) -> LLVMBasicBlockRef {
    LLVMAppendBasicBlockInContext(m.context, function, name)
  }

  /// Stack slots live in the entry block so that each is allocated once per program run.
  func entryAlloca(_ type: LLVMTypeRef, _ name: String = "") -> LLVMValueRef {
    let a = LLVMBuildAlloca(allocaBuilder, type, name)!
    LLVMSetAlignment(a, 8)
    return a
  }

  /// A temporary slot of `bytes` bytes (8-byte aligned), valid until the current statement ends.
  func scratch(_ bytes: Int) -> LLVMValueRef {
    let size = (bytes + 7) / 8 * 8
    let slot = freeScratch[size]?.popLast() ?? functionMemory(size, "tmp")
    usedScratch.append((size, slot))
    return slot
  }

  /// Runs `body`, then returns the temporaries it took to the pool.
  func withScratchScope(_ body: () -> Void) {
    let mark = usedScratch.count
    body()
    for (size, slot) in usedScratch[mark...] { freeScratch[size, default: []].append(slot) }
    usedScratch.removeSubrange(mark...)
  }

  func bytePointer(_ v: LLVMValueRef) -> LLVMValueRef { LLVMBuildBitCast(m.builder, v, m.i8Ptr, "") }

  /// `base + offset` as an i8*.
  func offset(_ base: LLVMValueRef, _ bytes: Int) -> LLVMValueRef {
    let p = bytePointer(base)
    if bytes == 0 { return p }
    var index: [LLVMValueRef?] = [m.int(bytes)]
    return LLVMBuildGEP2(m.builder, m.i8, p, &index, 1, "")
  }

  func store64(_ value: LLVMValueRef, at pointer: LLVMValueRef) {
    let p = LLVMBuildBitCast(m.builder, pointer, LLVMPointerType(m.i64, 0), "")
    LLVMSetAlignment(LLVMBuildStore(m.builder, value, p), 8)
  }

  func load64(_ pointer: LLVMValueRef) -> LLVMValueRef {
    let p = LLVMBuildBitCast(m.builder, pointer, LLVMPointerType(m.i64, 0), "")
    let v = LLVMBuildLoad2(m.builder, m.i64, p, "")!
    LLVMSetAlignment(v, 8)
    return v
  }

  /// Past this many bytes, zeroing and copying take one helper call instead of inline stores: BPF
  /// has no memset or memcpy, and LLVM calls them for long runs (strings of max_strlen 1024).
  static let inlineCopyLimit = 256

  func zero(_ pointer: LLVMValueRef, bytes: Int) {
    guard bytes <= Self.inlineCopyLimit else {
      // bpf_probe_read_kernel from address 0 fails, and a failed read zeroes its destination.
      callHelper(.probeReadKernel, [bytePointer(pointer), m.int(UInt64(bytes), m.i32), LLVMConstNull(m.i8Ptr)], reporting: false)
      return
    }
    LLVMBuildMemSet(m.builder, bytePointer(pointer), m.int(0, m.i8), m.int(UInt64(bytes)), 8)
  }

  func copy(_ bytes: Int, from source: LLVMValueRef, to destination: LLVMValueRef) {
    guard bytes <= Self.inlineCopyLimit else {
      callHelper(.probeReadKernel, [bytePointer(destination), m.int(UInt64(bytes), m.i32), bytePointer(source)], reporting: false)
      return
    }
    // LLVM lowers a memcpy (of unaligned bytes: the pointers may be) with its loads ahead of its
    // stores, and the registers they fill spill to the 512-byte stack: 200 bytes spilled 160, so
    // BPFTRACE_STRLEN=200 did not fit. Pieces of 16 bytes fit in registers (measured with llc-14).
    var done = 0
    while done < bytes {
      let piece = min(16, bytes - done)
      LLVMBuildMemCpy(m.builder, offset(destination, done), 1, offset(source, done), 1, m.int(UInt64(piece)))
      done += piece
    }
  }

  /// Calls a BPF helper; the backend emits `call N`. `-k` and `-kk` check the result of the
  /// helpers whose `checkLevel` they reach (not in swiftrace's own callbacks).
  @discardableResult
  func callHelper(_ helper: BPFHelper, _ args: [LLVMValueRef], returns: LLVMTypeRef? = nil,
                  reporting: Bool = true) -> LLVMValueRef {
    var paramTypes: [LLVMTypeRef?] = args.map { LLVMTypeOf($0) }
    let fnType = LLVMFunctionType(returns ?? m.i64, &paramTypes, UInt32(args.count), 0)!
    let callee = LLVMConstIntToPtr(m.int(helper.rawValue), LLVMPointerType(fnType, 0))
    var argv: [LLVMValueRef?] = args
    let result = LLVMBuildCall2(m.builder, fnType, callee, &argv, UInt32(args.count), "")!
    if reporting, let level = helper.checkLevel, level <= options.helperCheckLevel, !inInternalCallback {
      reportHelperError(result, helper: helper.kernelName)
    }
    return result
  }

  /// A negative return code sends `{helperErrorBase + site, rc}` to userspace.
  func reportHelperError(_ rc: LLVMValueRef, helper: String) {
    let wide = LLVMGetIntTypeWidth(LLVMTypeOf(rc)) == 64 ? rc : LLVMBuildSExt(m.builder, rc, m.i64, "")!
    let failed = LLVMBuildICmp(m.builder, LLVMIntSLT, wide, m.int(0), "")!
    let report = appendBlock("helper.failed"), next = appendBlock("helper.ok")
    LLVMBuildCondBr(m.builder, failed, report, next)
    LLVMPositionBuilderAtEnd(m.builder, report)
    sendHelperError(wide, helper: helper)
    LLVMBuildBr(m.builder, next)
    LLVMPositionBuilderAtEnd(m.builder, next)
  }

  /// `-kk`: a map read found no value for its key (bpftrace's "Failed to map_lookup_elem: 0").
  func reportMissingKey() {
    if options.helperCheckLevel >= 2 && !inInternalCallback { sendHelperError(m.int(0), helper: "map_lookup_elem") }
  }

  private func sendHelperError(_ rc: LLVMValueRef, helper: String) {
    let site = helperErrorSites.count
    helperErrorSites.append(HelperErrorSite(helper: helper, range: currentRange))
    let event = scratch(16)
    store64(m.int(AsyncEventID.helperErrorBase + UInt64(site)), at: event)
    store64(rc, at: offset(event, 8))
    // bpf_ringbuf_output; not counted as lost if the buffer is full: this is a diagnostic.
    let inner = inInternalCallback
    inInternalCallback = true
    callHelper(.ringbufOutput, [bytePointer(ringBuffer), bytePointer(event), m.int(16), m.int(0)])
    inInternalCallback = inner
  }

  /// Ends the probe (returning 0) unless `condition` holds; generation goes on where it does.
  func returnUnless(_ condition: LLVMValueRef, _ label: String, continueAt: LLVMBasicBlockRef? = nil) {
    let pass = continueAt ?? appendBlock("\(label).pass")
    let reject = appendBlock("\(label).reject")
    LLVMBuildCondBr(m.builder, condition, pass, reject)
    LLVMPositionBuilderAtEnd(m.builder, reject)
    LLVMBuildRet(m.builder, m.int(0, m.i32))
    LLVMPositionBuilderAtEnd(m.builder, pass)
  }

  func line(of range: SourceRange) -> UInt32 { UInt32(checked.source.lineAndColumn(of: range.start).line) }

  /// Attributes the following instructions to this place in the script (BTF line info).
  func setLocation(_ range: SourceRange) {
    currentRange = range
    let (line, column) = checked.source.lineAndColumn(of: range.start)
    LLVMSetCurrentDebugLocation2(m.builder, di.location(line: line, column: column, scope: subprogram))
  }
}

/// A name the kernel accepts for programs, maps and BTF: [A-Za-z0-9_].
func sanitize(_ s: String) -> String {
  String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
}
