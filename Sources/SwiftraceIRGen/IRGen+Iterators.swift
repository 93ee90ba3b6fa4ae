import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// Iterator probes (`iter:task`): printf writes into the iterator's seq_file with bpf_seq_printf,
/// which wants its format in read-only map memory: each format is a constant in `.rodata`, which
/// libbpf loads into a frozen map.
extension IRGenerator {
  func emitSeqPrintf(args: [Expr], id: Int) {
    let text = checked.printfs[id].format.kernelFormat
    let format = readOnlyString(text, name: "seq_format_\(id)")
    let values = args.dropFirst().map(kernelFormatArgument)
    var data = LLVMConstNull(m.i8Ptr)!
    if !values.isEmpty {
      let slot = scratch(8 * values.count)
      for (i, v) in values.enumerated() { store64(v, at: offset(slot, 8 * i)) }
      data = bytePointer(slot)
    }
    // ctx->meta->seq: the seq_file the reader reads. Both loads are the kernel's own pointers,
    // which the verifier lets the program follow.
    let meta = LLVMBuildIntToPtr(m.builder, load64(context), m.i8Ptr, "")!
    let seq = load64(meta)
    callHelper(.seqPrintf, [seq, format, m.int(UInt64(text.rawByteCount + 1), m.i32), data,
                     m.int(UInt64(8 * values.count), m.i32)])
  }

  /// An argument for a format the kernel applies (bpf_trace_printk, bpf_seq_printf): 8 bytes, an
  /// integer or the address of a string on the stack.
  func kernelFormatArgument(_ arg: Expr) -> LLVMValueRef {
    switch emitValue(arg) {
    case .integer(let v): return v
    case .buffer(let p, _): return LLVMBuildPtrToInt(m.builder, p, m.i64, "")!
    }
  }

  /// A NUL-terminated constant in `.rodata`, as an `i8*`.
  func readOnlyString(_ text: String, name: String) -> LLVMValueRef {
    let bytes = text.rawBytes
    let global = LLVMAddGlobal(m.module, m.arrayType(m.i8, bytes.count + 1), name)!
    let initializer = bytes.withUnsafeBufferPointer { b in
      b.withMemoryRebound(to: CChar.self) { LLVMConstStringInContext(m.context, $0.baseAddress, UInt32(bytes.count), 0) }
    }
    LLVMSetInitializer(global, initializer)
    LLVMSetGlobalConstant(global, 1)
    LLVMSetLinkage(global, LLVMInternalLinkage)
    LLVMSetSection(global, ".rodata")
    LLVMSetAlignment(global, 1)
    di.describeBytes(global, name: name, count: bytes.count + 1, line: 1)
    return LLVMBuildBitCast(m.builder, global, m.i8Ptr, "")
  }
}
