import Glibc
import SwiftraceBasics
import SwiftraceSema

/// Where uprobe targets live: `uprobe:libc:malloc` and `uprobe:bash:readline` name a library or a
/// program the way bpftrace resolves them (programs on $PATH, libraries through the dynamic
/// linker's cache), and their function symbols decide which attach points exist.
public enum UserBinaries {
  /// The file a uprobe target names: a path as given, else a program on $PATH, else a library
  /// from /etc/ld.so.cache (`libc` and `c` both find libc.so.6). nil if nothing matches.
  public static func resolve(_ target: String, environment: [String: String] = environmentVariables()) -> String? {
    if target.contains("/") { return isELF(target) ? target : nil }
    for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
      let path = "\(dir)/\(target)"
      if access(path, X_OK) == 0 && isELF(path) { return path }
    }
    let base = target.hasPrefix("lib") ? String(target.dropFirst(3)) : target
    let soname = "lib\(base).so"
    return libraryCache().first { $0.name == soname || $0.name.hasPrefix(soname + ".") }?.path
  }

  /// `resolve`, and with `-p PID` a path that exists only in the process's mount namespace, reached
  /// through /proc/PID/root (a program in a container).
  public static func resolve(_ target: String, pid: Int32?) -> String? {
    if let found = resolve(target) { return found }
    guard let pid, target.hasPrefix("/") else { return nil }
    let inside = "/proc/\(pid)/root\(target)"
    return isELF(inside) ? inside : nil
  }

  /// The program process `pid` runs: its path (in this mount namespace when it has one here),
  /// else /proc/PID/exe, which the kernel resolves to the same file.
  public static func executable(ofProcess pid: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
    if n > 0 {
      let path = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if isELF(path) { return path }
    }
    return "/proc/\(pid)/exe"
  }

  /// Every ELF file a usdt or uprobe target stands for: with `-p PID`, an empty target is the
  /// process's program and the libraries it has mapped; a target with wildcards (`./bin/usdt_*`)
  /// is every file that matches; anything else is what `resolve` finds.
  public static func expand(_ target: String, pid: Int32?) -> [String] {
    if target.isEmpty {
      guard let pid else { return [] }
      return mappedFiles(pid: pid)
    }
    // `usdt:*:name`, `uprobe:*:fn`: the -p process's files, or every running process's.
    if target == "*" { return pid.map { mappedFiles(pid: $0) } ?? everyProcessFiles() }
    guard target.contains("*") || target.contains("?") else { return resolve(target, pid: pid).map { [$0] } ?? [] }
    var matches = glob_t()
    defer { globfree(&matches) }
    guard glob(target, 0, nil, &matches) == 0 else { return [] }
    return (0..<Int(matches.gl_pathc)).compactMap { i in
      matches.gl_pathv[i].map { String(cString: $0) }.flatMap { isELF($0) ? $0 : nil }
    }
  }

  /// The files every running process has mapped executable, each once (a file's uprobes fire in
  /// every process that maps it, so one file stands for all of them).
  public static func everyProcessFiles() -> [String] {
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    var pids: [Int32] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if let pid = Int32(name), pid != getpid() { pids.append(pid) }
    }
    var seen = Set<String>(), files: [String] = []
    for pid in pids.sorted() {
      for file in mappedFiles(pid: pid) where seen.insert(file).inserted { files.append(file) }
    }
    return files
  }

  /// The program of process `pid` and the files it has mapped executable, in the order of the
  /// process's address space, seen from inside its mount namespace (/proc/PID/root).
  public static func mappedFiles(pid: Int32) -> [String] {
    guard let maps = readWholeFile("/proc/\(pid)/maps") else { return [] }
    var files: [String] = []
    for line in maps.split(separator: "\n") {
      let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
      let path = fields.count == 6 ? fields[5].trimmingSpaces() : ""
      guard fields.count == 6, fields[1].contains("x"), path.hasPrefix("/") else { continue }
      if !files.contains(path) { files.append(path) }
    }
    // A file of another mount namespace is reached through the process's root.
    return files.compactMap { isELF($0) ? $0 : isELF("/proc/\(pid)/root\($0)") ? "/proc/\(pid)/root\($0)" : nil }
  }

  static func symbols(of path: String) -> ELFSymbols? { ELFSymbols.shared(path) }

  /// The names of the function symbols in the ELF file at `path` (.symtab, else .dynsym and its
  /// debug information's), sorted; nil if it is not a readable ELF file.
  public static func functions(in path: String) -> [String]? {
    guard let elf = symbols(of: path) else { return nil }
    return Array(Set(elf.symbols.map(\.name))).sorted()
  }

  /// Whether the ELF file at `path` may have function `name`: false only when its symbol table
  /// says no (a quick look, for the many files `uprobe:*:fn` names).
  public static func mayHaveFunction(_ name: String, in path: String) -> Bool {
    guard let image = ELFImage(path: path) else { return false }
    return image.hasFunction(named: name) ?? true
  }

  /// The same, read now (a file that changes between calls: the ELF fuzzer's).
  static func functions(uncachedIn path: String) -> [String]? {
    ELFSymbols(path: path).map { Array(Set($0.symbols.map(\.name))).sorted() }
  }

  /// The size of function `name` in the ELF file at `path`; nil if it has no such symbol.
  public static func functionSize(_ name: String, in path: String) -> UInt64? {
    symbols(of: path)?.symbols.first { $0.name == name }.map(\.size)
  }

  /// Whether `address` (a link-time address) lies inside a function of the ELF file at `path`.
  public static func isCode(_ address: UInt64, in path: String) -> Bool {
    guard let elf = symbols(of: path) else { return false }
    return elf.symbols.contains { address >= $0.address && address < $0.address &+ max($0.size, 1) }
  }

  /// `uaddr(name)`: a data symbol's link-time address and size, the address of `function`
  /// (to find the load bias of a position-independent file at run time), and whether it is one.
  public static func dataSymbol(_ name: String, function: String?, in path: String)
    -> (address: UInt64, size: UInt64, functionAddress: UInt64?, positionIndependent: Bool)? {
    guard let elf = symbols(of: path), let object = elf.objects[name] else { return nil }
    let functionAddress = function.flatMap { f in elf.symbols.first { $0.name == f }?.address }
    return (object.address, object.size, functionAddress, elf.isPositionIndependent)
  }

  /// The USDT probe sites of the ELF file at `path`; nil if it cannot be read.
  public static func usdtSites(in path: String) -> [USDTSite]? { ELFNotes.usdtSites(in: path) }

  /// Where a uprobe written `name`, `name+8` or `0x4005d6` (an address in the file's virtual
  /// address space) goes: a file offset, or a symbol name for libbpf to resolve when this file's
  /// symbols do not have it.
  static func placement(of function: String, in path: String) -> (function: String?, offset: UInt64) {
    let isHex = function.hasPrefix("0x")
    if let address = UInt64(isHex ? String(function.dropFirst(2)) : function, radix: isHex ? 16 : 10) {
      return (nil, ELFImage(path: path)?.fileOffset(ofAddress: address) ?? address)
    }
    var name = function, offset: UInt64 = 0
    if let plus = function.firstIndex(of: "+") {
      let offsetText = function[function.index(after: plus)...]
      offset = (offsetText.hasPrefix("0x") ? UInt64(offsetText.dropFirst(2), radix: 16) : UInt64(offsetText)) ?? 0
      name = String(function[..<plus])
    }
    // Placed by file offset where the symbol is known here: a function that only the debug
    // information names (a static one in MiniDebugInfo) is unknown to libbpf.
    if let elf = symbols(of: path), let symbol = elf.symbols.first(where: { $0.name == name }),
       let start = elf.layout.fileOffset(ofAddress: symbol.address) {
      return (nil, start + offset)
    }
    return (name, offset)
  }

  static func isELF(_ path: String) -> Bool {
    PosixFile(path: path)?.read(at: 0, count: 4) == [0x7f, 0x45, 0x4c, 0x46]
  }

  /// The entries of /etc/ld.so.cache ("glibc-ld.so.cache1.1" format), in the file's order, which
  /// is the order the dynamic linker prefers.
  static func libraryCache(path: String = "/etc/ld.so.cache") -> [(name: String, path: String)] {
    guard let bytes = PosixFile(path: path)?.readToEnd() else { return [] }
    let magic = Array("glibc-ld.so.cache1.1".utf8)
    // Old caches put the new format after an old-format table; find where it starts.
    var start = -1
    var i = 0
    while i + magic.count <= bytes.count {
      if bytes[i] == magic[0] && Array(bytes[i..<i + magic.count]) == magic {
        start = i
        break
      }
      i += 1
    }
    guard start >= 0 else { return [] }
    func u32(_ o: Int) -> Int {
      guard o + 4 <= bytes.count else { return 0 }
      return Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
    }
    func string(_ o: Int) -> String {
      guard o >= 0 && o < bytes.count else { return "" }
      var end = o
      while end < bytes.count && bytes[end] != 0 { end += 1 }
      return String(decoding: bytes[o..<end], as: UTF8.self)
    }
    let count = u32(start + 20)
    var entries: [(name: String, path: String)] = []
    let headerSize = 48, entrySize = 24
    for n in 0..<count {
      let e = start + headerSize + n * entrySize
      guard e + entrySize <= bytes.count else { break }
      // String offsets count from the start of the new-format header.
      entries.append((string(start + u32(e + 4)), string(start + u32(e + 8))))
    }
    return entries
  }
}
