import SwiftraceBasics
import Glibc
import SwiftraceDebugInfo
import Synchronization

/// The function symbols of one ELF file (.symtab; else .dynsym and what its debug information
/// adds) and its data objects.
struct ELFSymbols: Sendable {
  /// Each file's symbols, read once per run and shared by everything that asks (resolving uprobes
  /// asks several questions of one file, then the session's and the metrics thread's symbolizers
  /// ask of the same libraries); a file without .symtab costs a look into its debug information.
  private static let cache = Mutex<[String: ELFSymbols?]>([:])

  static func shared(_ path: String) -> ELFSymbols? {
    if let known = cache.withLock({ $0[path] }) { return known }
    let symbols = ELFSymbols(path: path)  // outside the lock: another thread may read it too, once
    cache.withLock { _ = $0.updateValue(symbols, forKey: path) }
    return symbols
  }

  struct Symbol {
    let address: UInt64
    let size: UInt64
    let name: String
  }

  /// The segments, for file offsets (the file's bytes are not kept).
  let layout: ELFLayout
  /// Functions, sorted by address.
  let symbols: [Symbol]
  /// Data objects (STT_OBJECT), by name: what `uaddr()` finds.
  let objects: [String: Symbol]

  var isPositionIndependent: Bool { layout.isPositionIndependent }

  init?(path: String) {
    guard let image = ELFImage(path: path) else { return nil }
    layout = image.layout
    // .symtab (2), else .dynsym (11).
    let table = image.sections.first { $0.type == 2 } ?? image.sections.first { $0.type == 11 }
    var symbols: [Symbol] = []
    var objects: [String: Symbol] = [:]
    for s in table.map(image.symbols(in:)) ?? [] where s.value != 0 && (s.type == 2 || s.type == 1) {  // STT_FUNC, STT_OBJECT
      let symbol = Symbol(address: s.value, size: s.size, name: s.name)
      if s.type == 2 { symbols.append(symbol) } else { objects[symbol.name] = symbol }
    }
    // Without a .symtab, the file's local functions are in its separate debug file or its
    // MiniDebugInfo, if it has either: libdwfl finds them.
    if table?.type != 2, let debug = DebugSymbols.functions(of: path), debug.count > symbols.count {
      symbols = debug.map { Symbol(address: $0.address, size: $0.size, name: $0.name) }
    }
    // Versioned names (`realpath@@GLIBC_2.3`, `realpath@GLIBC_2.2.5`, as a full .symtab has them):
    // the default version (`@@`) also goes by the plain name, the one the dynamic linker binds.
    // (Bytes are searched, not Strings: Foundation's String.contains made sorting the 120,000
    // symbols of a binary that links LLVM take seconds.)
    func isVersioned(_ name: String) -> Bool { name.utf8.contains(UInt8(ascii: "@")) }
    let plainNames = Set(symbols.lazy.filter { !isVersioned($0.name) }.map(\.name))
    for s in symbols where isVersioned(s.name) {
      let plain = String(decoding: s.name.utf8.prefix { $0 != UInt8(ascii: "@") }, as: UTF8.self)
      let version = s.name.utf8.dropFirst(plain.utf8.count)
      if version.starts(with: "@@".utf8), !plainNames.contains(plain) {
        symbols.append(Symbol(address: s.address, size: s.size, name: plain))
      }
    }
    // At one address the plain name comes last, where symbol(at:) looks: frames print `realpath`.
    self.symbols = symbols.map { ($0, isVersioned($0.name) ? 0 : 1) }.sorted { ($0.0.address, $0.1) < ($1.0.address, $1.1) }.map(\.0)
    self.objects = objects
  }

  func address(ofFileOffset offset: UInt64) -> UInt64? { layout.address(ofFileOffset: offset) }

  /// The function containing `address` and the offset into it.
  func symbol(at address: UInt64) -> (name: String, offset: UInt64)? {
    guard let index = symbols.lastIndex(atOrBelow: address, by: \.address) else { return nil }
    let s = symbols[index]
    guard s.size == 0 || address - s.address < s.size else { return nil }
    return (s.name, address - s.address)
  }
}

extension Array {
  /// In an array sorted by `key`, the index of the last element whose key is at most `value`
  /// (binary search); nil when every key is above it. Symbol tables find an address's function so.
  func lastIndex(atOrBelow value: UInt64, by key: (Element) -> UInt64) -> Int? {
    var low = 0, high = count
    while low < high {
      let mid = (low + high) / 2
      if key(self[mid]) <= value { low = mid + 1 } else { high = mid }
    }
    return low > 0 ? low - 1 : nil
  }
}
