import Glibc
import SwiftraceDebugInfo

/// Everything swiftrace reads from an ELF file someone else may have written: symbol tables, USDT
/// notes, the build id, segments, DWARF types and parameters, debug-file symbols. The ELF fuzzer
/// (scripts/fuzz-elf.sh) sends mutated files through it; none may crash or hang it.
public enum ELFExamination {
  public static func readEverything(at path: String) {
    if let elf = ELFSymbols(path: path) {
      for symbol in elf.symbols.prefix(64) {
        _ = elf.symbol(at: symbol.address &+ symbol.size / 2)
        _ = elf.layout.fileOffset(ofAddress: symbol.address).map { elf.address(ofFileOffset: $0) }
      }
      _ = elf.symbol(at: .max)
    }
    for site in ELFNotes.usdtSites(in: path) ?? [] { _ = site.arguments.count }
    _ = FileIndex.buildID(of: path)
    let dwarf = DwarfTypes(fallback: nil)
    dwarf.use(path)
    for name in (UserBinaries.functions(uncachedIn: path) ?? []).prefix(16) {
      for parameter in dwarf.parameters(of: name, in: path) ?? [] {
        if case .pointer(.record(let record)) = parameter.type { _ = dwarf.fields(of: record) }
      }
      _ = dwarf.parameterDeclarations(of: name, in: path)
    }
    for name in dwarf.recordNames().prefix(16) {
      if let record = dwarf.record(named: name, isUnion: false) { _ = dwarf.fields(of: record) }
    }
  }
}
