import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// The kernel functions (kfuncs) programs call. Each is an extern function in the `.ksyms`
/// section; libbpf finds it in the kernel's BTF by name, and the verifier checks each call against
/// the kernel's prototype and the references it hands out.
enum KernelFunction: String, CaseIterable {
  /// `struct task_struct *bpf_task_from_pid(s32 pid)`: a reference to the task, or NULL.
  case taskFromPid = "bpf_task_from_pid"
  /// `void bpf_task_release(struct task_struct *p)`: drops the reference taskFromPid took.
  case taskRelease = "bpf_task_release"

  static let task = CType.pointer(.record(RecordRef(name: "task_struct", isUnion: false, id: 0, size: 0)))

  /// Return type and parameters, as the kernel declares them.
  var prototype: (returns: CType, parameters: [CType]) {
    switch self {
    case .taskFromPid: return (Self.task, [.integer(bytes: 4, signed: true)])
    case .taskRelease: return (.void, [Self.task])
    }
  }
}

extension IRGenerator {
  func callKernelFunction(_ kfunc: KernelFunction, _ args: [LLVMValueRef]) -> LLVMValueRef {
    let (returns, parameters) = kfunc.prototype
    let irType: (CType) -> LLVMTypeRef = { type in
      switch type {
      case .void: return LLVMVoidTypeInContext(self.m.context)
      case .integer(let bytes, _): return LLVMIntTypeInContext(self.m.context, UInt32(bytes * 8))
      case .pointer, .array, .record, .unsupported: return self.m.i8Ptr
      }
    }
    var parameterTypes: [LLVMTypeRef?] = parameters.map(irType)
    let functionType = LLVMFunctionType(irType(returns), &parameterTypes, UInt32(parameterTypes.count), 0)!
    let function = LLVMGetNamedFunction(m.module, kfunc.rawValue) ?? {
      let declared = LLVMAddFunction(m.module, kfunc.rawValue, functionType)!
      LLVMSetSection(declared, ".ksyms")
      di.describeKernelFunction(declared, name: kfunc.rawValue, returns: di.kernelType(returns),
                                parameters: parameters.compactMap { di.kernelType($0) })
      return declared
    }()
    var argv: [LLVMValueRef?] = args
    return LLVMBuildCall2(m.builder, functionType, function, &argv, UInt32(args.count), "")!
  }

  /// `comm(pid)`: the name of the task with that pid, from a reference the kernel hands out and
  /// takes back (bpf_task_from_pid, bpf_task_release); "N/A" when no task has the pid.
  func emitCommOfPid(_ pid: LLVMValueRef, comm field: KernelFieldAccess) -> LLVMValueRef {
    let buffer = scratch(16)
    zero(buffer, bytes: 16)
    let task = callKernelFunction(.taskFromPid, [LLVMBuildTrunc(m.builder, pid, m.i32, "")!])
    let found = LLVMBuildICmp(m.builder, LLVMIntNE, task, LLVMConstNull(m.i8Ptr), "")
    let read = appendBlock("comm.found"), missing = appendBlock("comm.missing"), done = appendBlock("comm.done")
    LLVMBuildCondBr(m.builder, found, read, missing)
    LLVMPositionBuilderAtEnd(m.builder, read)
    let taskAddress = LLVMBuildPtrToInt(m.builder, task, m.i64, "")!
    let comm = LLVMBuildIntToPtr(m.builder, fieldAddress(base: taskAddress, field), m.i8Ptr, "")!
    callHelper(.probeReadKernel, [buffer, m.int(16, m.i32), comm])
    _ = callKernelFunction(.taskRelease, [task])
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, missing)
    let notAvailable = LLVMBuildBitCast(m.builder, buffer, LLVMPointerType(m.i32, 0), "")
    LLVMBuildStore(m.builder, m.int(0x0041_2F4E, m.i32), notAvailable)  // "N/A\0", little-endian
    LLVMBuildBr(m.builder, done)
    LLVMPositionBuilderAtEnd(m.builder, done)
    return buffer
  }
}

extension IRGenerator {
  /// `kaddr("name")`: the symbol's address as the running kernel has it (KASLR moves it at every
  /// boot), an extern in `.ksyms` typed `const void`, which libbpf sets from /proc/kallsyms when it
  /// loads the program. A name that cannot be a BTF variable's (`foo.cold`), or one a typed extern
  /// already declares, keeps the address the compiling machine had.
  func kernelSymbolAddress(_ argument: Expr, _ e: Expr) -> LLVMValueRef {
    let compiled = m.int(checked.constants[e.id] ?? 0)
    guard case .string(let name) = argument.kind, !name.isEmpty,
      name.allSatisfy({ $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }), !name.first!.isNumber
    else { return compiled }
    if let existing = LLVMGetNamedGlobal(m.module, name) {
      guard typelessKernelSymbols.contains(name) else { return compiled }
      return LLVMBuildPtrToInt(m.builder, existing, m.i64, "")!
    }
    let global = LLVMAddGlobal(m.module, m.i8, name)!
    LLVMSetSection(global, ".ksyms")
    LLVMSetLinkage(global, LLVMExternalLinkage)
    di.describeKernelVariable(global, name: name, type: di.constVoid)
    typelessKernelSymbols.insert(name)
    return LLVMBuildPtrToInt(m.builder, global, m.i64, "")!
  }

  /// `percpu_kaddr(name [, cpu])`: the address of a per-CPU kernel variable on this CPU
  /// (bpf_this_cpu_ptr) or on CPU `cpu` (bpf_per_cpu_ptr, NULL past the last CPU). The variable
  /// is an extern in `.ksyms`, typed as the kernel's BTF types it: libbpf resolves it to the
  /// kernel's variable, and the verifier needs the kernel's address of it (kallsyms).
  func perCPUAddress(of variable: KernelVariable, cpu: LLVMValueRef?) -> LLVMValueRef {
    let global = LLVMGetNamedGlobal(m.module, variable.name) ?? {
      let declared = LLVMAddGlobal(m.module, m.i8, variable.name)!
      LLVMSetSection(declared, ".ksyms")
      LLVMSetLinkage(declared, LLVMExternalLinkage)
      if let type = di.kernelType(variable.type) { di.describeKernelVariable(declared, name: variable.name, type: type) }
      return declared
    }()
    let pointer: LLVMValueRef
    if let cpu {
      pointer = callHelper(.perCpuPtr, [global, LLVMBuildTrunc(m.builder, cpu, m.i32, "")!], returns: m.i8Ptr)
    } else {
      pointer = callHelper(.thisCpuPtr, [global], returns: m.i8Ptr)
    }
    return LLVMBuildPtrToInt(m.builder, pointer, m.i64, "")!
  }
}
