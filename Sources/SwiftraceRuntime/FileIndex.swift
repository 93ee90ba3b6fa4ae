import Foundation

/// Finds a file by inode and device: the identity BPF records for a user address's mapping. The
/// candidates are the files mapped by running processes, the libraries the dynamic linker knows and
/// the programs on PATH, indexed on the first question and again when a file is not found.
final class FileIndex {
  private var byIdentity: [FileIdentity: String] = [:]
  private var indexedAt: UInt64 = 0

  struct FileIdentity: Hashable {
    let inode: UInt64
    let device: UInt64
  }

  /// `device` in the kernel's encoding: major << 20 | minor.
  func path(inode: UInt64, device: UInt64) -> String? {
    let key = FileIdentity(inode: inode, device: device)
    if let path = byIdentity[key] { return path }
    // Rebuild at most once a second: a file that is nowhere stays unresolved cheaply.
    let now = UInt64(Date().timeIntervalSince1970)
    guard now > indexedAt else { return nil }
    indexedAt = now
    rebuild()
    return byIdentity[key]
  }

  func add(_ path: String) {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
    // glibc's dev_t layout (gnu_dev_major/minor are macros Swift cannot call)
    let dev = UInt64(st.st_dev)
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)
    let minor = (dev & 0xff) | ((dev >> 12) & ~0xff)
    let key = FileIdentity(inode: UInt64(st.st_ino), device: major << 20 | minor)
    if byIdentity[key] == nil { byIdentity[key] = path }
  }

  private func rebuild() {
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
  }
}
