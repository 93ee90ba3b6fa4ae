import CLLVM
import Glibc
import SwiftraceSema

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

  /// Runs LLVM's O2 passes on `m`, for the BPF target (`-d codegen-opt` prints the result).
  static func optimize(_ m: LLVMModule) throws(IRGenError) {
    let tm = try makeTargetMachine()
    defer { LLVMDisposeTargetMachine(tm) }
    try prepare(m, for: tm, optimize: true)
  }

  /// LLVM 14's BPF passes share process-wide state (BPFAbstractMemberAccess::GEPGlobals, a
  /// std::map, and BPFCoreSharedInfo::SeqNum) without a lock: compilations in one process (tests,
  /// the fuzzer) run them one at a time. (A pthread mutex: the values crossing it are LLVM's
  /// pointers, which Synchronization.Mutex would have to send.)
  private nonisolated(unsafe) static let backendLock: UnsafeMutablePointer<pthread_mutex_t> = {
    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(lock, nil)
    return lock
  }()

  private static func withBackendLock<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(backendLock)
    defer { pthread_mutex_unlock(backendLock) }
    return body()
  }

  /// Sets `m`'s target and data layout, and optimizes it when asked.
  private static func prepare(_ m: LLVMModule, for tm: LLVMTargetMachineRef, optimize: Bool) throws(IRGenError) {
    let layout = LLVMCreateTargetDataLayout(tm)
    LLVMSetModuleDataLayout(m.module, layout)
    LLVMDisposeTargetData(layout)
    LLVMSetTarget(m.module, "bpfel")
    guard optimize else { return }
    let options = LLVMCreatePassBuilderOptions()
    defer { LLVMDisposePassBuilderOptions(options) }
    if let err = withBackendLock({ LLVMRunPasses(m.module, "default<O2>", tm, options) }) {
      let msg = LLVMGetErrorMessage(err)!
      defer { LLVMDisposeErrorMessage(msg) }
      throw .backend(String(cString: msg))
    }
  }

  static func emit(_ m: LLVMModule, optimize: Bool) throws(IRGenError) -> [UInt8] {
    let tm = try makeTargetMachine()
    defer { LLVMDisposeTargetMachine(tm) }
    try prepare(m, for: tm, optimize: optimize)
    var message: UnsafeMutablePointer<CChar>?
    var buffer: LLVMMemoryBufferRef?
    let failed = withBackendLock { LLVMTargetMachineEmitToMemoryBuffer(tm, m.module, LLVMObjectFile, &message, &buffer) }
    guard failed == 0, let buffer else {
      defer { LLVMDisposeMessage(message) }
      throw .backend(message.map { String(cString: $0) } ?? "BPF code generation failed")
    }
    defer { LLVMDisposeMemoryBuffer(buffer) }
    let start = LLVMGetBufferStart(buffer)!
    let size = LLVMGetBufferSize(buffer)
    return start.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// Each function symbol of an object this target emitted: its instructions (8 bytes each), and
  /// whether one of its branches leaves it, which in a function under `BPFSizeLimits.maxInstructions`
  /// is a branch LLVM wrapped around (see BPFSizeLimits).
  static func functionShapes(_ elf: [UInt8], context: LLVMContextRef) -> [String: (instructions: Int, wrappedBranch: Bool)] {
    elf.withUnsafeBufferPointer { bytes -> [String: (instructions: Int, wrappedBranch: Bool)] in
      let raw = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
      guard let buffer = LLVMCreateMemoryBufferWithMemoryRange(raw, bytes.count, "object", 0) else { return [:] }
      defer { LLVMDisposeMemoryBuffer(buffer) }
      var message: UnsafeMutablePointer<CChar>?
      guard let binary = LLVMCreateBinary(buffer, context, &message) else {
        LLVMDisposeMessage(message)
        return [:]
      }
      defer { LLVMDisposeBinary(binary) }
      guard let symbols = LLVMObjectFileCopySymbolIterator(binary) else { return [:] }
      defer { LLVMDisposeSymbolIterator(symbols) }
      guard let section = LLVMObjectFileCopySectionIterator(binary) else { return [:] }
      defer { LLVMDisposeSectionIterator(section) }
      var shapes: [String: (instructions: Int, wrappedBranch: Bool)] = [:]
      while LLVMObjectFileIsSymbolIteratorAtEnd(binary, symbols) == 0 {
        defer { LLVMMoveToNextSymbol(symbols) }
        guard let name = LLVMGetSymbolName(symbols) else { continue }
        let count = Int(LLVMGetSymbolSize(symbols) / 8)
        var wrapped = false
        if count > BPFSizeLimits.branchReach {
          LLVMMoveToContainingSection(section, symbols)
          let start = Int(LLVMGetSymbolAddress(symbols)), size = Int(LLVMGetSectionSize(section))
          if let contents = LLVMGetSectionContents(section), start >= 0, start + 8 * count <= size {
            let code = UnsafeRawPointer(contents).advanced(by: start)
            wrapped = (0..<count).contains { i in
              let opcode = code.load(fromByteOffset: 8 * i, as: UInt8.self)
              let isBranch = (opcode & 0x07 == 0x05 || opcode & 0x07 == 0x06) && opcode & 0xF0 != 0x80 && opcode & 0xF0 != 0x90
              guard isBranch else { return false }
              let offset = Int(Int16(littleEndian: code.loadUnaligned(fromByteOffset: 8 * i + 2, as: Int16.self)))
              return !(0..<count).contains(i + 1 + offset)
            }
          }
        }
        shapes[String(cString: name)] = (count, wrapped)
      }
      return shapes
    }
  }

}

/// How a program was found over `BPFSizeLimits`.
public enum OversizeEvidence: Sendable {
  /// Unoptimized IR past `maxIRInstructions` (at least that many, when generation stopped early).
  case irInstructions
  /// The object's program past `maxInstructions`.
  case objectInstructions
  /// A branch in the object's program reaching farther than `branchReach`.
  case branchReach
}

public enum IRGenError: Error, CustomStringConvertible {
  /// LLVM rejected the module or failed to emit it: a bug in swiftrace, not in the script.
  case backend(String)
  case invalidModule(String)
  /// The program does not fit what BPF allows (the backend said so: the 512-byte stack, say).
  case limit(String)
  /// A probe's program is over `BPFSizeLimits`: counted in IR before optimization, or in the object.
  case tooLarge(probeIndex: Int, instructions: Int, found: OversizeEvidence)

  public var description: String {
    switch self {
    case .backend(let m): return "LLVM BPF backend: \(m)"
    case .limit(let m): return "the program does not fit BPF's limits: \(m)"
    case .tooLarge(let index, let n, let found):
      return "probe \(index) is too large for BPF: \(n) instructions (\(found))"
    case .invalidModule(let m): return "internal error: generated LLVM IR is invalid:\n\(m)"
    }
  }
}
