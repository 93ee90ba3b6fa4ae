import FoundationEssentials
import Glibc

/// Finds a file by inode and device, or by GNU build id: how BPF identifies the file behind a
/// user address once the process may be gone. The candidates are the files mapped by running
/// processes, the libraries the dynamic linker knows, the programs on PATH, and files the session
/// names (uprobe targets, the -c command); they are indexed on the first question and again, at
/// most once a second, when one is not found.
final class FileIndex {
  private var candidates: [String] = []
  private var known = Set<String>()
  private var byIdentity: [FileIdentity: String] = [:]
  private var byBuildID: [String: String] = [:]
  private var buildIDsRead = Set<String>()
  private var indexedAt: UInt64 = 0

  struct FileIdentity: Hashable {
    let inode: UInt64
    let device: UInt64
  }

  /// `device` in the kernel's encoding: major << 20 | minor.
  func path(inode: UInt64, device: UInt64) -> String? {
    let key = FileIdentity(inode: inode, device: device)
    if let path = byIdentity[key] { return path }
    guard rebuildIfDue() else { return nil }
    return byIdentity[key]
  }

  /// `buildID` as lowercase hex.
  func path(buildID: String) -> String? {
    if let path = byBuildID[buildID] { return path }
    readBuildIDs()
    if let path = byBuildID[buildID] { return path }
    guard rebuildIfDue() else { return nil }
    readBuildIDs()
    return byBuildID[buildID]
  }

  func add(_ path: String) {
    guard !known.contains(path) else { return }
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
    known.insert(path)
    candidates.append(path)
    // glibc's dev_t layout (gnu_dev_major/minor are macros Swift cannot call)
    let dev = UInt64(st.st_dev)
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)
    let minor = (dev & 0xff) | ((dev >> 12) & ~0xff)
    let key = FileIdentity(inode: UInt64(st.st_ino), device: major << 20 | minor)
    if byIdentity[key] == nil { byIdentity[key] = path }
  }

  private func readBuildIDs() {
    for path in candidates where !buildIDsRead.contains(path) {
      buildIDsRead.insert(path)
      if let id = Self.buildID(of: path), byBuildID[id] == nil { byBuildID[id] = path }
    }
  }

  /// Rebuilds the candidates unless that happened within the last second.
  private func rebuildIfDue() -> Bool {
    let now = UInt64(Date().timeIntervalSince1970)
    guard now > indexedAt else { return false }
    indexedAt = now
    let fm = FileManager.default
    for pid in (try? fm.contentsOfDirectory(atPath: "/proc")) ?? [] where pid.first?.isNumber == true {
      guard let maps = readWholeFile("/proc/\(pid)/maps") else { continue }
      for line in maps.split(separator: "\n") {
        if let slash = line.firstIndex(of: "/") { add(String(line[slash...])) }
      }
    }
    for entry in UserBinaries.libraryCache() { add(entry.path) }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in Set(path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]) {
      for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] { add("\(dir)/\(name)") }
    }
    return true
  }

  /// The GNU build id (NT_GNU_BUILD_ID in a PT_NOTE segment) of an ELF file, as hex; read from the
  /// headers and notes only.
  static func buildID(of path: String) -> String? {
    guard let file = PosixFile(path: path) else { return nil }
    func read(_ offset: UInt64, _ count: Int) -> [UInt8] { file.read(at: offset, count: count) }
    let header = read(0, 64)
    guard header.count == 64, header[0] == 0x7f, header[1] == 0x45, header[2] == 0x4c, header[3] == 0x46,
      header[4] == 2, header[5] == 1 else { return nil }
    let phOffset = u64(header, 32), phSize = u16(header, 54), phCount = u16(header, 56)
    guard phSize >= 56, phCount < 256 else { return nil }
    let table = read(phOffset, phSize * phCount)
    guard table.count == phSize * phCount else { return nil }
    for i in 0..<phCount {
      let p = i * phSize
      guard u32(table, p) == 4 else { continue }  // PT_NOTE
      let notes = read(u64(table, p + 8), Int(min(u64(table, p + 32), 4096)))
      var o = 0
      while o + 12 <= notes.count {
        let nameSize = Int(u32(notes, o)), descSize = Int(u32(notes, o + 4)), type = u32(notes, o + 8)
        let descAt = o + 12 + (nameSize + 3) / 4 * 4
        guard descAt + descSize <= notes.count else { break }
        if type == 3, nameSize == 4, notes[(o + 12)..<(o + 15)].elementsEqual("GNU".utf8) {
          return hexDigits(notes[descAt..<(descAt + descSize)])
        }
        o = descAt + (descSize + 3) / 4 * 4
      }
    }
    return nil
  }
}
