import CLibDW
import Glibc

/// An ELF file in memory, read with elfutils' libelf: its sections (with their data, symbols and
/// notes) and loadable segments. libelf checks every header offset and size against the file, so a
/// corrupt file (which any user can run, and so put into a stack that root traces) is an error
/// here, never a trap. `ELFSymbols` and `ELFNotes` read their tables through it.
final class ELFImage {
  struct Section {
    let index: Int
    let name: String
    let type: UInt32
    let address: UInt64
    /// The index of the section this one refers to (a symbol table's strings).
    let link: Int
  }
  struct Segment {
    let fileOffset: UInt64
    let address: UInt64
    let fileSize: UInt64
  }
  struct Symbol {
    let name: String
    let value: UInt64
    let size: UInt64
    /// STT_FUNC (2), STT_OBJECT (1), ...
    let type: UInt8
  }
  struct Note {
    let type: UInt32
    let name: String
    let description: [UInt8]
  }

  private let elf: OpaquePointer
  private let buffer: UnsafeMutableRawBufferPointer
  private(set) var sections: [Section] = []
  private(set) var segments: [Segment] = []
  /// ET_DYN (shared objects, PIE executables) are loaded at a bias; ET_EXEC at their addresses.
  let isPositionIndependent: Bool

  init?(path: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0, st.st_size < 1 << 31 else { return nil }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(st.st_size), alignment: 16)
    var done = 0
    while done < buffer.count {
      let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      done += n
    }
    _ = elf_version(UInt32(EV_CURRENT))
    guard done == buffer.count,
          let elf = elf_memory(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count) else {
      buffer.deallocate()
      return nil
    }
    var header = GElf_Ehdr()
    guard elf_kind(elf) == ELF_K_ELF, gelf_getclass(elf) == ELFCLASS64, gelf_getehdr(elf, &header) != nil else {
      elf_end(elf)
      buffer.deallocate()
      return nil
    }
    self.elf = elf
    self.buffer = buffer
    isPositionIndependent = header.e_type == UInt16(ET_DYN)
    var count = 0
    if elf_getphdrnum(elf, &count) == 0 {
      for i in 0..<count {
        var p = GElf_Phdr()
        guard gelf_getphdr(elf, Int32(i), &p) != nil, p.p_type == UInt32(PT_LOAD) else { continue }
        segments.append(Segment(fileOffset: p.p_offset, address: p.p_vaddr, fileSize: p.p_filesz))
      }
    }
    var names = 0
    let hasNames = elf_getshdrstrndx(elf, &names) == 0
    var scn = elf_nextscn(elf, nil)
    while let section = scn {
      var h = GElf_Shdr()
      if gelf_getshdr(section, &h) != nil {
        let name = hasNames ? elf_strptr(elf, names, Int(h.sh_name)).map { String(cString: $0) } ?? "" : ""
        sections.append(Section(index: elf_ndxscn(section), name: name, type: h.sh_type, address: h.sh_addr,
                                link: Int(h.sh_link)))
      }
      scn = elf_nextscn(elf, section)
    }
  }

  deinit {
    elf_end(elf)
    buffer.deallocate()
  }

  func section(named name: String) -> Section? { sections.first { $0.name == name } }

  /// The symbols of a symbol table section (.symtab or .dynsym), names from its string table.
  func symbols(in table: Section) -> [Symbol] {
    guard let scn = elf_getscn(elf, table.index), let data = elf_getdata(scn, nil) else { return [] }
    let entrySize = gelf_fsize(elf, ELF_T_SYM, 1, UInt32(EV_CURRENT))
    guard entrySize > 0 else { return [] }
    var result: [Symbol] = []
    for i in 0..<(data.pointee.d_size / entrySize) {
      var symbol = GElf_Sym()
      guard gelf_getsym(data, Int32(clamping: i), &symbol) != nil else { break }
      let name = elf_strptr(elf, table.link, Int(symbol.st_name)).map { String(cString: $0) } ?? ""
      result.append(Symbol(name: name, value: symbol.st_value, size: symbol.st_size, type: symbol.st_info & 0xf))
    }
    return result
  }

  /// Whether the file's .symtab (else .dynsym) has a function NAME (or NAME@@VERSION, or a C++
  /// function whose mangled name holds NAME as an identifier), compared
  /// byte by byte where the table is, without making a String of every symbol: the question
  /// `uprobe:*:fn` asks of every file every process maps. Nil when the file has no .symtab (its
  /// separate debug information may name more functions).
  func hasFunction(named name: String) -> Bool? {
    guard let symtab = sections.first(where: { $0.type == 2 }) ?? sections.first(where: { $0.type == 11 }),
      let scn = elf_getscn(elf, symtab.index), let data = elf_getdata(scn, nil) else { return nil }
    let entrySize = gelf_fsize(elf, ELF_T_SYM, 1, UInt32(EV_CURRENT))
    guard entrySize > 0 else { return nil }
    let length = name.utf8.count
    // Both names as C strings once, not once per symbol (a file may hold millions).
    let found = name.withCString { wanted in
      "\(length)\(name)".withCString { mangled in
        for i in 0..<(data.pointee.d_size / entrySize) {
          var symbol = GElf_Sym()
          guard gelf_getsym(data, Int32(clamping: i), &symbol) != nil else { break }
          guard symbol.st_info & 0xf == 2, symbol.st_value != 0, let text = elf_strptr(elf, symtab.link, Int(symbol.st_name)) else {
            continue
          }
          // A C++ function goes by its demangled name too: `_Z...3add...` may be `add(int, int)`.
          if text[0] == 0x5f, text[1] == 0x5a {
            if strstr(text, mangled) != nil { return true }
            continue
          }
          guard strncmp(text, wanted, length) == 0 else { continue }
          let next = text[length]
          if next == 0 || (next == 0x40 && text[length + 1] == 0x40) { return true }  // NAME or NAME@@VERSION
        }
        return false
      }
    }
    return found || symtab.type == 2 ? found : nil
  }

  /// The notes of a note section (SHT_NOTE).
  func notes(in section: Section) -> [Note] {
    guard let scn = elf_getscn(elf, section.index), let data = elf_getdata(scn, nil), let base = data.pointee.d_buf else {
      return []
    }
    var result: [Note] = []
    var offset = 0
    while true {
      var header = GElf_Nhdr()
      var nameAt = 0, descriptionAt = 0
      let next = gelf_getnote(data, offset, &header, &nameAt, &descriptionAt)
      guard next > offset else { break }
      let bytes = UnsafeRawBufferPointer(start: base, count: data.pointee.d_size)
      let name = bytes[nameAt..<(nameAt + Int(header.n_namesz))].prefix { $0 != 0 }
      result.append(Note(type: header.n_type, name: String(decoding: name, as: UTF8.self),
                         description: Array(bytes[descriptionAt..<(descriptionAt + Int(header.n_descsz))])))
      offset = next
    }
    return result
  }

  var layout: ELFLayout { ELFLayout(segments: segments, isPositionIndependent: isPositionIndependent) }
  func address(ofFileOffset offset: UInt64) -> UInt64? { layout.address(ofFileOffset: offset) }
  func fileOffset(ofAddress address: UInt64) -> UInt64? { layout.fileOffset(ofAddress: address) }
}

/// The NUL-terminated string at `offset` of `bytes`, read no further than `limit`.
func cString(_ bytes: [UInt8], at offset: Int, limit: Int) -> String {
  let end = min(limit, bytes.count)
  guard offset >= 0, offset < end else { return "" }
  let text = bytes[offset..<end].prefix { $0 != 0 }
  return String(decoding: text, as: UTF8.self)
}

/// Little-endian integers at `offset` of `bytes`; 0 when they do not fit (a short read).
func u16(_ bytes: [UInt8], _ offset: Int) -> Int {
  guard offset >= 0, offset <= bytes.count - 2 else { return 0 }
  return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
}

func u32(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
  guard offset >= 0, offset <= bytes.count - 4 else { return 0 }
  return (0..<4).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
}

/// Where an ELF file's loadable segments are, in the file and in memory: a value that outlives the
/// file's bytes (symbol tables keep it, not the whole file).
struct ELFLayout: Sendable {
  let segments: [ELFImage.Segment]
  /// ET_DYN (shared objects, PIE executables) are loaded at a bias; ET_EXEC at their addresses.
  let isPositionIndependent: Bool

  /// The ELF virtual address of a byte at `fileOffset` in the file.
  func address(ofFileOffset offset: UInt64) -> UInt64? {
    guard let s = segments.first(where: { offset >= $0.fileOffset && offset - $0.fileOffset < $0.fileSize }) else {
      return nil
    }
    return offset - s.fileOffset &+ s.address
  }

  /// Where the byte at virtual `address` sits in the file: uprobes are placed by file offset.
  func fileOffset(ofAddress address: UInt64) -> UInt64? {
    guard let s = segments.first(where: { address >= $0.address && address - $0.address < $0.fileSize }) else {
      return nil
    }
    return address - s.address &+ s.fileOffset
  }
}
