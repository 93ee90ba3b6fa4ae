import CLLVM
import SwiftraceSema

/// A BPF program has 512 bytes of stack, and LLVM needs some of them for its own spills. Strings of
/// `BPFTRACE_STRLEN=200`, map keys holding them and the printf events that carry them do not fit,
/// so a function's variables and temporaries stay on the stack up to `stackBudget` bytes and the
/// rest go to its slot of a per-CPU array map, looked up once when the function starts (the
/// verifier inlines that lookup into a few instructions). Small programs never use the map.
///
/// Each function (probe, watchpoint setup, callback) has its own slot: a map-loop callback runs in
/// the middle of its probe's statement, and must not overwrite the probe's temporaries. A program
/// does not run nested within itself on one CPU, so one slot per function and CPU is enough.
extension IRGenerator {
  /// Stack bytes a function's variables and temporaries may take before they move to the map.
  static let stackBudget = 256

  /// Where the function being generated keeps what does not fit its stack budget.
  struct ScratchRegion {
    /// Bytes of variables and temporaries on the stack so far.
    var stackBytes = 0
    /// The function's slot of the scratch map (`i8*`), once something needed it.
    var base: LLVMValueRef?
    /// Positioned where the slot is known not to be null, before the jump to the body: slices of
    /// the slot are made there, so that they dominate every use.
    var builder: LLVMBuilderRef?
    var size = 0
  }

  /// `bytes` bytes (a multiple of 8) for the whole function, as an `i8*`: on the stack while the
  /// budget allows, else in the function's slot of the scratch map.
  func functionMemory(_ bytes: Int, _ name: String) -> LLVMValueRef {
    let size = (bytes + 7) / 8 * 8
    if region.stackBytes + size <= Self.stackBudget, size <= options.onStackLimit ?? size {
      region.stackBytes += size
      return LLVMBuildBitCast(allocaBuilder, entryAlloca(m.arrayType(m.i8, size), name), m.i8Ptr, "")!
    }
    let base = regionBase()
    var index: [LLVMValueRef?] = [m.int(region.size)]
    region.size += size
    scratchValueSize = max(scratchValueSize, region.size)
    return LLVMBuildGEP2(region.builder, m.i8, base, &index, 1, name)!
  }

  /// Looks up the function's slot in the entry block: the entry's jump to the body becomes a null
  /// check (the verifier requires one), whose good branch holds the slices and goes on to the body.
  private func regionBase() -> LLVMValueRef {
    if let base = region.base { return base }
    let map = scratchMap ?? {
      var members = [LLVMTypeRef?](repeating: m.i8Ptr, count: 4)
      let type = LLVMStructTypeInContext(m.context, &members, 4, 0)!
      let g = LLVMAddGlobal(m.module, type, ObjectSymbols.scratch)!
      LLVMSetInitializer(g, LLVMConstNull(type))
      LLVMSetSection(g, ".maps")
      LLVMSetAlignment(g, 8)
      scratchMap = g
      return g
    }()
    let slot = scratchSlots
    scratchSlots += 1

    let entry = LLVMGetEntryBasicBlock(function)!
    let jump = LLVMGetBasicBlockTerminator(entry)!
    let body = LLVMGetSuccessor(jump, 0)!
    LLVMInstructionEraseFromParent(jump)
    let savedBlock = LLVMGetInsertBlock(m.builder)!
    let savedLocation = LLVMGetCurrentDebugLocation2(m.builder)
    defer {
      LLVMPositionBuilderAtEnd(m.builder, savedBlock)
      LLVMSetCurrentDebugLocation2(m.builder, savedLocation)
    }
    LLVMPositionBuilderAtEnd(m.builder, entry)
    LLVMSetCurrentDebugLocation2(m.builder, nil)
    let key = LLVMBuildAlloca(m.builder, m.i32, "scratch.key")!
    LLVMBuildStore(m.builder, m.int(UInt64(slot), m.i32), key)
    // bpf_map_lookup_elem: an array's slot always exists, but the verifier wants the check.
    let value = callHelper(.mapLookupElem, [LLVMBuildBitCast(m.builder, map, m.i8Ptr, "")!, bytePointer(key)], returns: m.i8Ptr)
    let ready = appendBlock("scratch.ready"), missing = appendBlock("scratch.missing")
    let check = LLVMBuildCondBr(m.builder, LLVMBuildIsNotNull(m.builder, value, "")!, ready, missing)!
    LLVMPositionBuilderAtEnd(m.builder, missing)
    LLVMBuildRet(m.builder, LLVMConstNull(LLVMGetReturnType(LLVMGlobalGetValueType(function))))
    LLVMPositionBuilderAtEnd(m.builder, ready)
    let next = LLVMBuildBr(m.builder, body)!
    LLVMPositionBuilderBefore(allocaBuilder, check)

    let builder = LLVMCreateBuilderInContext(m.context)!
    LLVMPositionBuilderBefore(builder, next)
    LLVMSetCurrentDebugLocation2(builder, nil)
    regionBuilders.append(builder)
    region.base = value
    region.builder = builder
    return value
  }

  /// Describes the scratch map once every function has taken its slot and its size is known.
  func finishScratchMap() {
    guard let scratchMap else { return }
    di.describeMap(scratchMap, name: ObjectSymbols.scratch, type: .perCPUArray, maxEntries: scratchSlots, keySize: 4,
                   valueSize: max(8, scratchValueSize), line: 1)
    regionBuilders.forEach { LLVMDisposeBuilder($0) }
    regionBuilders = []
  }

}
