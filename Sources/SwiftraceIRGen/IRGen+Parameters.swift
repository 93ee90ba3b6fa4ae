import CLLVM
import SwiftraceBasics
import SwiftraceSema
import SwiftraceSyntax

/// Positional parameters read as values come from the object's parameters section
/// (`ParameterLayout`): a read-only data section whose values the run sets before loading, so one
/// object serves any values. Its initial bytes are the compiled values (a bare object runs as
/// compiled). Loads are volatile: LLVM must not fold them into the compiled values; the verifier
/// still sees constants (libbpf freezes the section's map before loading the programs).
extension IRGenerator {
  var parametersGlobal: LLVMValueRef {
    if let existing = LLVMGetNamedGlobal(m.module, ParameterLayout.symbol) { return existing }
    let layout = checked.parameterLayout
    let bytes = layout.bytes(for: checked.positionalParameters)
    let type = m.arrayType(m.i8, bytes.count)
    let global = LLVMAddGlobal(m.module, type, ParameterLayout.symbol)!
    let initial = bytes.withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: CChar.self) { LLVMConstStringInContext(m.context, $0.baseAddress, UInt32(bytes.count), 1) }
    }
    LLVMSetInitializer(global, initial)
    LLVMSetSection(global, ParameterLayout.section)
    LLVMSetAlignment(global, 8)
    di.describeBytes(global, name: ParameterLayout.symbol, count: bytes.count, line: 1)
    return global
  }

  /// `$N` read while the program runs; nil when its value is compiled in.
  func parameterValue(_ number: Int) -> LLVMValueRef? {
    guard let slot = checked.parameterLayout.integerSlot(number) else { return nil }
    let word = LLVMBuildBitCast(m.builder, offset(parametersGlobal, slot.offset), LLVMPointerType(m.i64, 0), "")
    let load = LLVMBuildLoad2(m.builder, m.i64, word, "")!
    LLVMSetVolatile(load, 1)
    LLVMSetAlignment(load, 8)
    return load
  }

  /// `str($N)` read while the program runs: its bytes copied from the section; nil when compiled in.
  func parameterText(_ call: Expr) -> IRValue? {
    guard let number = checked.stringParameters[call.id], let slot = checked.parameterLayout.stringSlot(number),
      case .string(let size) = slot.use else { return nil }
    let buffer = scratch(size)
    var at = 0
    while at < size {
      let width = size - at >= 8 ? 8 : 1
      let type = width == 8 ? m.i64 : m.i8
      let source = LLVMBuildBitCast(m.builder, offset(parametersGlobal, slot.offset + at), LLVMPointerType(type, 0), "")
      let load = LLVMBuildLoad2(m.builder, type, source, "")!
      LLVMSetVolatile(load, 1)
      LLVMSetAlignment(load, UInt32(width))
      let target = LLVMBuildBitCast(m.builder, offset(buffer, at), LLVMPointerType(type, 0), "")
      LLVMSetAlignment(LLVMBuildStore(m.builder, load, target), UInt32(width))
      at += width
    }
    return .buffer(buffer, size: size)
  }
}
