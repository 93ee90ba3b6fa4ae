import CLLVM

/// Owns one LLVM context, module, IR builder and DIBuilder, and disposes them together.
/// Everything LLVM-C hands out inside it is only valid while this object lives.
final class LLVMModule {
  let context: LLVMContextRef
  let module: LLVMModuleRef
  let builder: LLVMBuilderRef
  let dib: LLVMDIBuilderRef

  let i1: LLVMTypeRef
  let i8: LLVMTypeRef
  let i16: LLVMTypeRef
  let i32: LLVMTypeRef
  let i64: LLVMTypeRef
  let i8Ptr: LLVMTypeRef

  init(name: String) {
    context = LLVMContextCreate()
    module = LLVMModuleCreateWithNameInContext(name, context)
    builder = LLVMCreateBuilderInContext(context)
    dib = LLVMCreateDIBuilder(module)
    i1 = LLVMInt1TypeInContext(context)
    i8 = LLVMInt8TypeInContext(context)
    i16 = LLVMInt16TypeInContext(context)
    i32 = LLVMInt32TypeInContext(context)
    i64 = LLVMInt64TypeInContext(context)
    i8Ptr = LLVMPointerType(i8, 0)
  }

  deinit {
    LLVMDisposeDIBuilder(dib)
    LLVMDisposeBuilder(builder)
    LLVMDisposeModule(module)
    LLVMContextDispose(context)
  }

  func int(_ v: UInt64, _ type: LLVMTypeRef? = nil) -> LLVMValueRef {
    LLVMConstInt(type ?? i64, v, 0)
  }

  func int(_ v: Int) -> LLVMValueRef { LLVMConstInt(i64, UInt64(bitPattern: Int64(v)), 1) }

  func arrayType(_ element: LLVMTypeRef, _ count: Int) -> LLVMTypeRef {
    LLVMArrayType(element, UInt32(count))
  }

  /// The textual IR, for `--dump=llvm`.
  var irText: String {
    let s = LLVMPrintModuleToString(module)!
    defer { LLVMDisposeMessage(s) }
    return String(cString: s)
  }

  /// Runs LLVM's module verifier; returns its message on failure.
  func verify() -> String? {
    var message: UnsafeMutablePointer<CChar>?
    let failed = LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0
    defer { if let message { LLVMDisposeMessage(message) } }
    return failed ? message.map { String(cString: $0) } ?? "invalid module" : nil
  }
}
