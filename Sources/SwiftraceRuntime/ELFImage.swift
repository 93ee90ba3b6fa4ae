import FoundationEssentials
import Glibc

/// A 64-bit little-endian ELF file in memory (all this machine runs): its header, named sections and
/// loadable segments. `ELFSymbols` and `ELFNotes` read their tables out of it.
struct ELFImage {
  struct Section {
    let name: String
    let type: UInt64
    let address: UInt64
    let offset: Int
    let size: Int
    /// The index of the section this one refers to (a symbol table's strings).
    let link: Int
    let entrySize: Int
  }
  struct Segment {
    let fileOffset: UInt64
    let address: UInt64
    let fileSize: UInt64
  }

  let bytes: [UInt8]
  let sections: [Section]
  /// PT_LOAD segments.
  let segments: [Segment]
  /// ET_DYN (shared objects, PIE executables) are loaded at a bias; ET_EXEC at their addresses.
  let isPositionIndependent: Bool

  init?(path: String) {
    guard let data = FileManager.default.contents(atPath: path), data.count > 64 else { return nil }
    let bytes = [UInt8](data)
    guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2, bytes[5] == 1 else {
      return nil
    }
    self.bytes = bytes
    isPositionIndependent = u16(bytes, 16) == 3
    let programHeaders = Int(u64(bytes, 32)), sectionHeaders = Int(u64(bytes, 40))
    let phSize = u16(bytes, 54), phCount = u16(bytes, 56), shSize = u16(bytes, 58), shCount = u16(bytes, 60)
    let namesIndex = u16(bytes, 62)

    var segments: [Segment] = []
    for i in 0..<phCount {
      let p = programHeaders + i * phSize
      guard u32(bytes, p) == 1 else { continue }  // PT_LOAD
      segments.append(Segment(fileOffset: u64(bytes, p + 8), address: u64(bytes, p + 16), fileSize: u64(bytes, p + 32)))
    }
    self.segments = segments

    let namesAt = namesIndex < shCount ? Int(u64(bytes, sectionHeaders + namesIndex * shSize + 24)) : bytes.count
    sections = (0..<(sectionHeaders > 0 ? shCount : 0)).map { i in
      let s = sectionHeaders + i * shSize
      return Section(name: cString(bytes, at: namesAt + Int(u32(bytes, s)), limit: bytes.count), type: u32(bytes, s + 4),
                     address: u64(bytes, s + 16), offset: Int(u64(bytes, s + 24)), size: Int(u64(bytes, s + 32)),
                     link: Int(u32(bytes, s + 40)), entrySize: Int(u64(bytes, s + 56)))
    }
  }

  func section(named name: String) -> Section? { sections.first { $0.name == name } }

  /// The ELF virtual address of a byte at `fileOffset` in the file.
  func address(ofFileOffset offset: UInt64) -> UInt64? {
    guard let s = segments.first(where: { offset >= $0.fileOffset && offset < $0.fileOffset + $0.fileSize }) else {
      return nil
    }
    return offset - s.fileOffset + s.address
  }

  /// Where the byte at virtual `address` sits in the file: uprobes are placed by file offset.
  func fileOffset(ofAddress address: UInt64) -> UInt64? {
    guard let s = segments.first(where: { address >= $0.address && address < $0.address + $0.fileSize }) else {
      return nil
    }
    return address - s.address + s.fileOffset
  }
}

func u16(_ bytes: [UInt8], _ offset: Int) -> Int {
  offset + 2 <= bytes.count ? Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 : 0
}

func u32(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
  guard offset + 4 <= bytes.count else { return 0 }
  return (0..<4).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
}

/// The NUL-terminated string at `offset`, read no further than `limit`.
func cString(_ bytes: [UInt8], at offset: Int, limit: Int) -> String {
  guard offset >= 0, offset < min(limit, bytes.count) else { return "" }
  var end = offset
  while end < min(limit, bytes.count) && bytes[end] != 0 { end += 1 }
  return String(decoding: bytes[offset..<end], as: UTF8.self)
}
