import Foundation

/// The function symbols of one ELF file (.symtab, else .dynsym) and its loadable segments, read
/// with no library: 64-bit little-endian ELF is all this machine runs.
struct ELFSymbols {
  struct Symbol {
    let address: UInt64
    let size: UInt64
    let name: String
  }
  struct Segment {
    let fileOffset: UInt64
    let address: UInt64
    let fileSize: UInt64
  }

  /// Functions, sorted by address.
  let symbols: [Symbol]
  /// Data objects (STT_OBJECT), by name: what `uaddr()` finds.
  let objects: [String: Symbol]
  let segments: [Segment]
  /// ET_DYN (shared objects, PIE executables) are loaded at a bias; ET_EXEC at their addresses.
  let isPositionIndependent: Bool

  init?(path: String) {
    guard let data = FileManager.default.contents(atPath: path), data.count > 64 else { return nil }
    let bytes = [UInt8](data)
    guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2, bytes[5] == 1 else {
      return nil
    }
    func u16(_ o: Int) -> Int { o + 2 <= bytes.count ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : 0 }
    func u32(_ o: Int) -> UInt64 {
      guard o + 4 <= bytes.count else { return 0 }
      return (0..<4).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) }
    }
    func u64(_ o: Int) -> UInt64 {
      guard o + 8 <= bytes.count else { return 0 }
      return (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) }
    }
    isPositionIndependent = u16(16) == 3
    let programHeaders = Int(u64(32)), sectionHeaders = Int(u64(40))
    let phSize = u16(54), phCount = u16(56), shSize = u16(58), shCount = u16(60)

    var segments: [Segment] = []
    for i in 0..<phCount {
      let p = programHeaders + i * phSize
      guard u32(p) == 1 else { continue }  // PT_LOAD
      segments.append(Segment(fileOffset: u64(p + 8), address: u64(p + 16), fileSize: u64(p + 32)))
    }
    self.segments = segments

    // Sections: find .symtab (2) or .dynsym (11) and the string table each links to.
    var tables: [(type: UInt64, offset: Int, size: Int, entry: Int, strings: Int)] = []
    var sectionOffsets: [Int] = []
    for i in 0..<shCount {
      let s = sectionHeaders + i * shSize
      sectionOffsets.append(Int(u64(s + 24)))
      let type = u32(s + 4)
      if type == 2 || type == 11 {
        tables.append((type, Int(u64(s + 24)), Int(u64(s + 32)), Int(u64(s + 56)), Int(u32(s + 40))))
      }
    }
    let table = tables.first { $0.type == 2 } ?? tables.first { $0.type == 11 }
    var symbols: [Symbol] = []
    var objects: [String: Symbol] = [:]
    if let table, table.entry > 0, table.strings < sectionOffsets.count {
      let stringsAt = sectionOffsets[table.strings]
      for i in 0..<(table.size / table.entry) {
        let e = table.offset + i * table.entry
        let info = e + 4 < bytes.count ? bytes[e + 4] : 0
        guard info & 0xf == 2 || info & 0xf == 1 else { continue }  // STT_FUNC, STT_OBJECT
        let value = u64(e + 8)
        guard value != 0 else { continue }
        var end = stringsAt + Int(u32(e))
        let start = end
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        let symbol = Symbol(address: value, size: u64(e + 16), name: String(decoding: bytes[start..<end], as: UTF8.self))
        if info & 0xf == 2 { symbols.append(symbol) } else { objects[symbol.name] = symbol }
      }
    }
    self.symbols = symbols.sorted { $0.address < $1.address }
    self.objects = objects
  }

  /// The ELF virtual address of a byte at `fileOffset` in the file.
  func address(ofFileOffset offset: UInt64) -> UInt64? {
    guard let s = segments.first(where: { offset >= $0.fileOffset && offset < $0.fileOffset + $0.fileSize }) else {
      return nil
    }
    return offset - s.fileOffset + s.address
  }

  /// The function containing `address` and the offset into it.
  func symbol(at address: UInt64) -> (name: String, offset: UInt64)? {
    var low = 0, high = symbols.count
    while low < high {
      let mid = (low + high) / 2
      if symbols[mid].address <= address { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    let s = symbols[low - 1]
    guard s.size == 0 || address < s.address + s.size else { return nil }
    return (s.name, address - s.address)
  }
}
