import CLLVM

/// The LLVM BPF backend: the O2 pass pipeline and object emission into memory, in process.
public enum BPFTarget {
  /// LLVM's target registry is process-global; initialise it once.
  private static let initialized: Bool = {
    LLVMInitializeBPFTargetInfo()
    LLVMInitializeBPFTarget()
    LLVMInitializeBPFTargetMC()
    LLVMInitializeBPFAsmPrinter()
    return true
  }()

  static func makeTargetMachine() throws(IRGenError) -> LLVMTargetMachineRef {
    _ = initialized
    var target: LLVMTargetRef?
    var message: UnsafeMutablePointer<CChar>?
    guard LLVMGetTargetFromTriple("bpfel", &target, &message) == 0, let target else {
      defer { LLVMDisposeMessage(message) }
      throw .backend(message.map { String(cString: $0) } ?? "no BPF target in this LLVM")
    }
    guard let tm = LLVMCreateTargetMachine(target, "bpfel", "v3", "", LLVMCodeGenLevelAggressive,
                                           LLVMRelocDefault, LLVMCodeModelDefault) else {
      throw .backend("cannot create the BPF target machine")
    }
    return tm
  }

  /// Errors the backend reports through the context (the BPF stack limit, unsupported
  /// constructs). LLVM's default handler would print them and exit the process.
  final class BackendErrors {
    var messages: [String] = []
  }

  static func optimizeAndEmit(_ m: LLVMModule, optimize: Bool) throws(IRGenError) -> [UInt8] {
    let errors = BackendErrors()
    LLVMContextSetDiagnosticHandler(m.context, { info, context in
      guard let info, let context, LLVMGetDiagInfoSeverity(info) == LLVMDSError,
            let description = LLVMGetDiagInfoDescription(info) else { return }
      defer { LLVMDisposeMessage(description) }
      Unmanaged<BackendErrors>.fromOpaque(context).takeUnretainedValue().messages.append(String(cString: description))
    }, Unmanaged.passUnretained(errors).toOpaque())
    defer { withExtendedLifetime(errors) {} }
    let bytes = try emit(m, optimize: optimize)
    if let first = errors.messages.first { throw .limit(first) }
    return bytes
  }

  static func emit(_ m: LLVMModule, optimize: Bool) throws(IRGenError) -> [UInt8] {
    let tm = try makeTargetMachine()
    defer { LLVMDisposeTargetMachine(tm) }
    let layout = LLVMCreateTargetDataLayout(tm)
    LLVMSetModuleDataLayout(m.module, layout)
    LLVMDisposeTargetData(layout)
    LLVMSetTarget(m.module, "bpfel")
    if optimize {
      let options = LLVMCreatePassBuilderOptions()
      defer { LLVMDisposePassBuilderOptions(options) }
      if let err = LLVMRunPasses(m.module, "default<O2>", tm, options) {
        let msg = LLVMGetErrorMessage(err)!
        defer { LLVMDisposeErrorMessage(msg) }
        throw .backend(String(cString: msg))
      }
    }
    var message: UnsafeMutablePointer<CChar>?
    var buffer: LLVMMemoryBufferRef?
    guard LLVMTargetMachineEmitToMemoryBuffer(tm, m.module, LLVMObjectFile, &message, &buffer) == 0, let buffer else {
      defer { LLVMDisposeMessage(message) }
      throw .backend(message.map { String(cString: $0) } ?? "BPF code generation failed")
    }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let start = LLVMGetBufferStart(buffer)!
    let size = LLVMGetBufferSize(buffer)
    return start.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }
}

public enum IRGenError: Error, CustomStringConvertible {
  /// LLVM rejected the module or failed to emit it: a bug in swiftrace, not in the script.
  case backend(String)
  case invalidModule(String)
  /// The program does not fit what BPF allows (the backend said so: the 512-byte stack, say).
  case limit(String)

  public var description: String {
    switch self {
    case .backend(let m): return "LLVM BPF backend: \(m)"
    case .limit(let m): return "the program does not fit BPF's limits: \(m)"
    case .invalidModule(let m): return "internal error: generated LLVM IR is invalid:\n\(m)"
    }
  }
}
