import CLibDW
import Glibc
import SwiftraceBasics

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
    let now = UInt64(max(0, time(nil)))
    guard now > indexedAt else { return false }
    indexedAt = now
    for pid in directoryEntries("/proc") ?? [] where pid.first?.isNumber == true {
      guard let maps = readWholeFile("/proc/\(pid)/maps") else { continue }
      for line in maps.split(separator: "\n") {
        if let slash = line.firstIndex(of: "/") { add(String(line[slash...])) }
      }
    }
    for entry in UserBinaries.libraryCache() { add(entry.path) }
    let path = environmentVariables()["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in Set(path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]) {
      for name in directoryEntries(dir) ?? [] { add("\(dir)/\(name)") }
    }
    return true
  }

  /// The GNU build id of an ELF file, as hex: elfutils finds the note (libelf reads the parts it
  /// needs with pread, not mmap, so a file truncated meanwhile is an error, not a SIGBUS).
  static func buildID(of path: String) -> String? {
    let fd = path.withRawCString { open($0, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    _ = elf_version(UInt32(EV_CURRENT))
    guard let elf = elf_begin(fd, ELF_C_READ, nil) else { return nil }
    defer { elf_end(elf) }
    var id: UnsafeRawPointer?
    let count = dwelf_elf_gnu_build_id(elf, &id)
    guard count > 0, let id else { return nil }
    return hexDigits(UnsafeRawBufferPointer(start: id, count: count))
  }
}
